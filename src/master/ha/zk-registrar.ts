// The registrar in ZooKeeper, for masters started with --zk: the same records as the SQLite registrar
// (src/master/registrar.ts), one znode each, so no znode nears ZooKeeper's 1 MB limit and a registration storm is
// many small writes:
//
//   <group>/registry/agents/<agent id>          AgentRecord JSON
//   <group>/registry/frameworks/<framework id>  FrameworkRecord JSON
//   <group>/registry/weights                    { role: weight } JSON
//   <group>/registry/quotas/<encoded role>      QuotaRecord JSON (guarantees and limits)
//   <group>/registry/sequences/<name>           the next number, as text
//   <group>/registry/secrets/<encoded path>     a sealed secret (SecretRecord JSON: AES-256-GCM, never the value)
//   <group>/registry/maintenance                MaintenanceRecord JSON (schedule and machine modes)
//   <group>/registry/kv/<namespace>/<encoded key>  a built-in framework's value (builtin-frameworks/store.ts)
//
// Every write is fenced: it travels in one multi with a check that this master's membership znode still exists
// (core/zookeeper/fence.ts), so a deposed leader that has not noticed yet cannot overwrite its successor's state.
// Writes are queued and applied in order; a failed or fenced-out write makes the master step down (`onFatal`), as
// Mesos' master aborts when its registrar fails. See docs/zookeeper.md.

import { logger } from '../../core/log.ts'
import type { ZooKeeperClient } from '../../core/zookeeper/client.ts'
import { joinPath } from '../../core/zookeeper/paths.ts'
import type { Op } from '../../core/zookeeper/records.ts'
import type { RegistrarOp } from '../outbox.ts'
import type { MaintenanceRecord } from '../maintenance/schedule.ts'
import type { QuotaRecord } from '../quota/config.ts'
import type { AgentRecord, FrameworkRecord, KvRecord, RegistrarSnapshot, RegistrarStore } from '../registrar.ts'
import type { SecretRecord } from '../secret-store.ts'
import type { MasterContender } from './contender.ts'
import { registrarMetrics } from '../metrics.ts'

const log = logger('registrar')

/** Bytes of data per multi: ZooKeeper refuses requests over jute.maxbuffer (1 MB by default). */
const MAX_MULTI_BYTES = 512 * 1024

const decoder = new TextDecoder()

export class ZooKeeperRegistrar implements RegistrarStore {
  /** Znodes known to exist, so a put is a setData and not a create. */
  private readonly existing = new Set<string>()
  /** All stored weights (the znode holds them all; an op carries only the changed ones). */
  private weights: Record<string, number> = {}
  private queue: Promise<void> = Promise.resolve()
  private closed = false
  /** A write failed: nothing after it is written (the master is stepping down). */
  private failed = false
  private readonly metrics = registrarMetrics()
  /** Writes queued and not yet durable (master/event_queue_dispatches). */
  private pending = 0

  private constructor(
    private readonly zk: ZooKeeperClient,
    private readonly contender: MasterContender,
    private readonly root: string,
    private readonly onFatal: (why: string) => void,
  ) {}

  /** Opens the registry under the contender's group path, creating its layout on first use. */
  static async open(contender: MasterContender, onFatal: (why: string) => void): Promise<ZooKeeperRegistrar> {
    const root = joinPath(contender.groupPath, 'registry')
    const r = new ZooKeeperRegistrar(contender.zk, contender, root, onFatal)
    for (const dir of ['agents', 'frameworks', 'sequences', 'secrets', 'quotas', 'kv']) await contender.zk.mkdirp(joinPath(root, dir))
    return r
  }

  private path(...parts: string[]): string { return parts.reduce(joinPath, this.root) }

  /** Everything the registry holds (read once, by a newly elected leader). */
  async snapshot(): Promise<RegistrarSnapshot> {
    const started = performance.now()
    const zk = this.zk
    const readDir = async <T>(dir: string): Promise<T[]> => {
      const { children } = await zk.getChildren(this.path(dir))
      const out: T[] = []
      for (const child of children.sort()) {
        const path = this.path(dir, child)
        const { data } = await zk.getData(path)
        this.existing.add(path)
        out.push(JSON.parse(decoder.decode(data)) as T)
      }
      return out
    }
    const agents = await readDir<AgentRecord>('agents')
    const frameworks = await readDir<FrameworkRecord>('frameworks')
    const secrets = await readDir<SecretRecord>('secrets')
    const quotas = await readDir<QuotaRecord>('quotas')
    const sequences: Record<string, number> = {}
    for (const name of (await zk.getChildren(this.path('sequences'))).children) {
      const path = this.path('sequences', name)
      sequences[name] = Number(decoder.decode((await zk.getData(path)).data))
      this.existing.add(path)
    }
    let weights: Record<string, number> = {}
    const w = await zk.exists(this.path('weights'))
    if (w) {
      weights = JSON.parse(decoder.decode((await zk.getData(this.path('weights'))).data)) as Record<string, number>
      this.existing.add(this.path('weights'))
    }
    this.weights = { ...weights }
    const snapshot: RegistrarSnapshot = { agents, frameworks, weights, sequences, secrets }
    if (quotas.length) snapshot.quotas = quotas
    const kv: KvRecord[] = []
    for (const namespace of (await zk.getChildren(this.path('kv'))).children.sort()) {
      this.existing.add(this.path('kv', namespace))
      for (const key of (await zk.getChildren(this.path('kv', namespace))).children.sort()) {
        const path = this.path('kv', namespace, key)
        kv.push({ namespace, key: decodeURIComponent(key), value: decoder.decode((await zk.getData(path)).data) })
        this.existing.add(path)
      }
    }
    if (kv.length) snapshot.kv = kv
    if (await zk.exists(this.path('maintenance'))) {
      snapshot.maintenance = JSON.parse(decoder.decode((await zk.getData(this.path('maintenance'))).data)) as MaintenanceRecord
      this.existing.add(this.path('maintenance'))
    }
    this.metrics.fetched(performance.now() - started)
    return snapshot
  }

  write(ops: RegistrarOp[]): void {
    this.enqueue(ops, undefined)
  }

  batch(ops: RegistrarOp[], done: (ok: boolean) => void): void {
    this.enqueue(ops, done)
  }

  private enqueue(ops: RegistrarOp[], done: ((ok: boolean) => void) | undefined) {
    if (this.closed) { done?.(false); return }
    // Turned into ZooKeeper ops now, in order, so `existing` matches what the queue will have written.
    const zkOps = ops.flatMap(op => this.toZooKeeper(op))
    this.pending++
    this.queue = this.queue.then(async () => {
      this.pending--
      if (this.failed) { done?.(false); return }
      try {
        await this.metrics.store.timeAsync(async () => { for (const chunk of chunks(zkOps)) await this.contender.fencedWrite(chunk) })
        done?.(true)
      } catch (err) {
        this.failed = true
        done?.(false)
        if (!this.closed) this.onFatal(`registrar write to ZooKeeper failed: ${(err as Error).message}`)
      }
    })
  }

  private put(path: string, data: string): Op {
    if (this.existing.has(path)) return { type: 'setData', path, data }
    this.existing.add(path)
    return { type: 'create', path, data }
  }

  private remove(path: string): Op[] {
    return this.existing.delete(path) ? [{ type: 'delete', path }] : []
  }

  private toZooKeeper(op: RegistrarOp): Op[] {
    switch (op.op) {
      case 'putAgent': return [this.put(this.path('agents', op.record.id), JSON.stringify(op.record))]
      case 'removeAgent': return this.remove(this.path('agents', op.id))
      case 'putMaintenance': return [this.put(this.path('maintenance'), JSON.stringify(op.record))]
      case 'putFramework': return [this.put(this.path('frameworks', op.record.id), JSON.stringify(op.record))]
      case 'removeFramework': return this.remove(this.path('frameworks', op.id))
      case 'putWeights': {
        this.weights = { ...this.weights, ...op.weights }
        return [this.put(this.path('weights'), JSON.stringify(this.weights))]
      }
      case 'putSequence': return [this.put(this.path('sequences', op.name), String(op.value))]
      case 'putQuota': return [this.put(this.path('quotas', encodeURIComponent(op.record.role)), JSON.stringify(op.record))]
      case 'removeQuota': return this.remove(this.path('quotas', encodeURIComponent(op.role)))
      case 'putSecret': return [this.put(this.path('secrets', encodeURIComponent(op.record.path)), JSON.stringify(op.record))]
      case 'removeSecret': return this.remove(this.path('secrets', encodeURIComponent(op.path)))
      case 'putKv': {
        // The namespace's znode first, created once (namespaces are fixed names such as 'jobs').
        const dir = this.path('kv', op.namespace)
        const mkdir: Op[] = this.existing.has(dir) ? [] : [this.put(dir, '')]
        return [...mkdir, this.put(this.path('kv', op.namespace, encodeURIComponent(op.key)), op.value)]
      }
      case 'removeKv': return this.remove(this.path('kv', op.namespace, encodeURIComponent(op.key)))
    }
  }

  pendingWrites(): number { return this.pending }

  /** Waits for queued writes (used on a graceful stop). */
  flushed(): Promise<void> { return this.queue }

  close(): void {
    this.closed = true
    log.info('ZooKeeper registrar closed')
  }
}

/** Splits ops into multis under MAX_MULTI_BYTES of data each. */
function* chunks(ops: Op[]): Generator<Op[]> {
  let chunk: Op[] = []
  let bytes = 0
  for (const op of ops) {
    const size = 'data' in op && op.data !== undefined ? (typeof op.data === 'string' ? op.data.length * 3 : op.data.length) : 0
    if (chunk.length && bytes + size > MAX_MULTI_BYTES) { yield chunk; chunk = []; bytes = 0 }
    chunk.push(op)
    bytes += size + op.path.length
  }
  if (chunk.length) yield chunk
}

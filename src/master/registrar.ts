// The master's registrar: what must survive a master restart (Mesos keeps the same in its replicated log; see
// upstream src/master/registrar.cpp). Agents (admitted, unreachable, gone, and whether an operator deactivated
// them), frameworks with their FrameworkInfo, role weights and id sequences, in one SQLite file. Tasks are not
// stored: re-registering agents report them, as in Mesos. (Not to be confused with src/core/registry/, the client
// for container image registries.)

import { logger } from '../core/log.ts'
import { registrarMetrics } from './metrics.ts'
import { openStore, type Store } from '../core/store.ts'
import type { Resource } from '../core/resources.ts'
import type { AgentInfo, FrameworkInfo } from '../core/v1/messages.ts'
import type { DrainInfo } from './drain.ts'
import type { MaintenanceRecord } from './maintenance/schedule.ts'
import type { RegistrarOp } from './outbox.ts'
import type { QuotaRecord } from './quota/config.ts'
import type { SecretRecord } from './secret-store.ts'

const log = logger('registrar')

export type AgentRecordState = 'admitted' | 'unreachable' | 'gone'

/** An agent as the registrar keeps it (the live object is RegisteredAgent). */
export interface AgentRecord {
  id: string
  info: AgentInfo
  pid: string
  state: AgentRecordState
  unreachableTime?: number
  /** DEACTIVATE_AGENT by an operator; kept so a re-registered or recovered agent stays out of offers. */
  deactivated?: boolean
  /** DRAIN_AGENT: DRAINING or DRAINED, with its config (src/master/drain.ts). */
  drain?: DrainInfo
  /**
   * Dynamic reservations and persistent volumes on the agent (v1 JSON, post-refinement), authoritative over the
   * agent's own report when it re-registers. Absent in registrars written before meso kept them.
   */
  checkpointedResources?: Resource[]
}

/** A framework as the registrar keeps it (the live object is Framework). */
export interface FrameworkRecord {
  id: string
  info: FrameworkInfo
  registeredTime: number
}

/** Everything the registrar holds, read once when the master starts. */
export interface RegistrarSnapshot {
  agents: AgentRecord[]
  frameworks: FrameworkRecord[]
  weights: Record<string, number>
  sequences: Record<string, number>
  /** Quotas (guarantees and limits) by role, recovered before the first allocation. */
  quotas?: QuotaRecord[]
  /** Sealed secrets (replicated with --zk; the SQLite registrar keeps none: the store has its own file). */
  secrets?: SecretRecord[]
  /** The maintenance schedule and its machines' modes (src/master/maintenance/). */
  maintenance?: MaintenanceRecord
  /** The built-in frameworks' key-value area (putKv/removeKv; src/master/builtin-frameworks/store.ts). */
  kv?: KvRecord[]
}

/** One entry of the generic key-value area. */
export interface KvRecord { namespace: string; key: string; value: string }

/** Where the runtime writes (runtime.ts): the SQLite registrar, or the ZooKeeper one with --zk (ha/zk-registrar.ts). */
export interface RegistrarStore {
  /** Applies writes in order (durably before returning for SQLite; queued, fenced and in order for ZooKeeper). */
  write(ops: RegistrarOp[]): void
  /** Writes batched with others; `done(ok)` once durable. */
  batch(ops: RegistrarOp[], done: (ok: boolean) => void): void
  /** Writes accepted and not yet durable (master/event_queue_dispatches). */
  pendingWrites?(): number
  close(): void
}

export class Registrar implements RegistrarStore {
  private batchWrites: RegistrarOp[][] = []
  private batchDone: ((ok: boolean) => void)[] = []
  private batchScheduled = false
  private readonly metrics = registrarMetrics()

  private constructor(private readonly store: Store) {}

  /** `path` undefined = in-memory registrar (`--registry=in_memory`). */
  static open(path: string | undefined): Registrar {
    const store = openStore(path ?? ':memory:', { synchronous: 'FULL' })
    store.exec(`
      CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, info TEXT NOT NULL, pid TEXT NOT NULL,
        state TEXT NOT NULL, unreachable_time REAL);
      CREATE TABLE IF NOT EXISTS frameworks (id TEXT PRIMARY KEY, info TEXT NOT NULL, registered_time REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS weights (role TEXT PRIMARY KEY, weight REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS quotas (role TEXT PRIMARY KEY, config TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS kv (namespace TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (namespace, key));
    `)
    // Registrars written before agents could stay deactivated across restarts lack the column.
    const columns = store.all<{ name: string }>('PRAGMA table_info(agents)').map(c => c.name)
    if (!columns.includes('deactivated')) store.exec('ALTER TABLE agents ADD COLUMN deactivated INTEGER NOT NULL DEFAULT 0')
    if (!columns.includes('drain')) store.exec('ALTER TABLE agents ADD COLUMN drain TEXT')
    // NULL: not known (written before meso kept them); '[]': known to be none.
    if (!columns.includes('checkpointed_resources')) store.exec('ALTER TABLE agents ADD COLUMN checkpointed_resources TEXT')
    return new Registrar(store)
  }

  snapshot(): RegistrarSnapshot {
    const started = performance.now()
    const agents = this.store.all<{ id: string; info: string; pid: string; state: AgentRecordState; unreachable_time: number | null; deactivated: number; drain: string | null }>(
      'SELECT id, info, pid, state, unreachable_time, deactivated, drain FROM agents').map(r => {
      const a: AgentRecord = { id: r.id, info: JSON.parse(r.info), pid: r.pid, state: r.state }
      if (r.unreachable_time !== null) a.unreachableTime = r.unreachable_time
      if (r.deactivated) a.deactivated = true
      if (r.drain) a.drain = JSON.parse(r.drain)
      const checkpointed = this.store.get<{ c: string | null }>('SELECT checkpointed_resources AS c FROM agents WHERE id = ?', r.id)?.c
      if (checkpointed) a.checkpointedResources = JSON.parse(checkpointed)
      return a
    })
    const frameworks = this.store.all<{ id: string; info: string; registered_time: number }>('SELECT id, info, registered_time FROM frameworks')
      .map(r => ({ id: r.id, info: JSON.parse(r.info), registeredTime: r.registered_time }))
    const weights: Record<string, number> = {}
    for (const r of this.store.all<{ role: string; weight: number }>('SELECT role, weight FROM weights')) weights[r.role] = r.weight
    const sequences: Record<string, number> = {}
    for (const r of this.store.all<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'seq:%'")) {
      sequences[r.key.slice('seq:'.length)] = Number(r.value)
    }
    const maintenance = this.store.all<{ value: string }>("SELECT value FROM meta WHERE key = 'maintenance'")[0]
    const snapshot: RegistrarSnapshot = { agents, frameworks, weights, sequences }
    if (maintenance) snapshot.maintenance = JSON.parse(maintenance.value)
    const quotas = this.store.all<{ config: string }>('SELECT config FROM quotas ORDER BY role').map(r => JSON.parse(r.config) as QuotaRecord)
    if (quotas.length) snapshot.quotas = quotas
    const kv = this.store.all<KvRecord>('SELECT namespace, key, value FROM kv ORDER BY namespace, key')
    if (kv.length) snapshot.kv = kv
    this.metrics.fetched(performance.now() - started)
    return snapshot
  }

  /** Applies writes now, in one transaction. */
  write(ops: RegistrarOp[]): void {
    this.metrics.store.time(() => this.store.transaction(() => { for (const op of ops) this.apply(op) }))
  }

  pendingWrites(): number { return this.batchWrites.length }

  /**
   * Queues writes to commit in one transaction with every other batch of this turn of the event loop, then calls
   * `done(ok)` once that transaction has committed (or failed). A registration storm of thousands of agents then
   * costs one fsync per batch instead of two per agent; Mesos' registrar batches its operations the same way, and,
   * as there, nothing is acknowledged before it is durable.
   */
  batch(ops: RegistrarOp[], done: (ok: boolean) => void): void {
    this.batchWrites.push(ops)
    this.batchDone.push(done)
    if (this.batchScheduled) return
    this.batchScheduled = true
    setImmediate(() => this.commitBatch())
  }

  /** Commits what `batch` queued (also called on close, so nothing accepted is dropped). */
  commitBatch(): void {
    this.batchScheduled = false
    const writes = this.batchWrites
    const done = this.batchDone
    if (!writes.length) return
    this.batchWrites = []
    this.batchDone = []
    let ok = true
    try {
      this.metrics.store.time(() => this.store.transaction(() => { for (const ops of writes) for (const op of ops) this.apply(op) }))
    } catch (err) {
      ok = false
      // The master's sequences may be ahead of the store now; that only skips numbers, which is allowed.
      log.error(`Registrar write of ${writes.length} batch(es) failed: ${(err as Error).message}`)
    }
    for (const d of done) d(ok)
  }

  private apply(op: RegistrarOp): void {
    switch (op.op) {
      case 'putAgent': {
        const a = op.record
        this.store.run('INSERT OR REPLACE INTO agents (id, info, pid, state, unreachable_time, deactivated, drain) VALUES (?, ?, ?, ?, ?, ?, ?)',
          a.id, JSON.stringify(a.info), a.pid, a.state, a.unreachableTime ?? null, a.deactivated ? 1 : 0, a.drain ? JSON.stringify(a.drain) : null)
        this.store.run('UPDATE agents SET checkpointed_resources = ? WHERE id = ?',
          a.checkpointedResources ? JSON.stringify(a.checkpointedResources) : null, a.id)
        break
      }
      case 'removeAgent':
        this.store.run('DELETE FROM agents WHERE id = ?', op.id)
        break
      case 'putMaintenance':
        this.store.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', 'maintenance', JSON.stringify(op.record))
        break
      case 'putFramework': {
        const f = op.record
        this.store.run('INSERT OR REPLACE INTO frameworks (id, info, registered_time) VALUES (?, ?, ?)', f.id, JSON.stringify(f.info), f.registeredTime)
        break
      }
      case 'removeFramework':
        this.store.run('DELETE FROM frameworks WHERE id = ?', op.id)
        break
      case 'putWeights':
        for (const [role, weight] of Object.entries(op.weights)) this.store.run('INSERT OR REPLACE INTO weights (role, weight) VALUES (?, ?)', role, weight)
        break
      case 'putQuota':
        this.store.run('INSERT OR REPLACE INTO quotas (role, config) VALUES (?, ?)', op.record.role, JSON.stringify(op.record))
        break
      case 'removeQuota':
        this.store.run('DELETE FROM quotas WHERE role = ?', op.role)
        break
      case 'putSequence':
        this.store.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', `seq:${op.name}`, String(op.value))
        break
      case 'putKv':
        this.store.run('INSERT OR REPLACE INTO kv (namespace, key, value) VALUES (?, ?, ?)', op.namespace, op.key, op.value)
        break
      case 'removeKv':
        this.store.run('DELETE FROM kv WHERE namespace = ? AND key = ?', op.namespace, op.key)
        break
      case 'putSecret':
      case 'removeSecret':
        // A single master's secret store is its own encrypted file (secret-store.ts); nothing to replicate.
        break
    }
  }

  close(): void {
    this.commitBatch()
    this.store.close()
  }
}

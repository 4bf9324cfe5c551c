// The master's registry: what must survive a master restart (Mesos keeps the same in its replicated log). Agents
// (admitted, unreachable, gone), frameworks with their FrameworkInfo, and role weights. Tasks are not stored:
// re-registering agents report them, as in Mesos.

import { logger } from '../core/log.ts'
import { openStore, type Store } from '../core/store.ts'
import type { AgentInfo, FrameworkInfo } from '../core/v1/messages.ts'

const log = logger('registry')

export type AgentRegistryState = 'admitted' | 'unreachable' | 'gone'

export interface RegisteredAgent {
  id: string
  info: AgentInfo
  pid: string
  state: AgentRegistryState
  unreachableTime?: number
}

export interface RegisteredFramework {
  id: string
  info: FrameworkInfo
  registeredTime: number
}

export class Registry {
  /** Counters as last read or reserved; the stored value may lag until the next batch commits. */
  private readonly sequences = new Map<string, number>()
  private batchWrites: (() => void)[] = []
  private batchDone: ((ok: boolean) => void)[] = []
  private batchScheduled = false

  private constructor(private readonly store: Store) {}

  /** `path` undefined = in-memory registry (`--registry=in_memory`). */
  static open(path: string | undefined): Registry {
    const store = openStore(path ?? ':memory:', { synchronous: 'FULL' })
    store.exec(`
      CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, info TEXT NOT NULL, pid TEXT NOT NULL,
        state TEXT NOT NULL, unreachable_time REAL);
      CREATE TABLE IF NOT EXISTS frameworks (id TEXT PRIMARY KEY, info TEXT NOT NULL, registered_time REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS weights (role TEXT PRIMARY KEY, weight REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `)
    return new Registry(store)
  }

  /** Monotonic counters survive restarts so a new master never reuses an id sequence number. */
  nextSequence(name: string): number {
    const n = this.reserveSequence(name)
    this.persistSequence(name)
    return n
  }

  /**
   * The next number of a counter, persisted only with the next write of `persistSequence` (e.g. in the batch that
   * admits the agent it names). Until then the number has been shown to no one, so losing it in a crash is harmless.
   */
  reserveSequence(name: string): number {
    let n = this.sequences.get(name)
    if (n === undefined) {
      const row = this.store.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', `seq:${name}`)
      n = row ? Number(row.value) : 0
    }
    this.sequences.set(name, n + 1)
    return n
  }

  /** Writes a counter's reserved value. */
  persistSequence(name: string): void {
    const n = this.sequences.get(name)
    if (n !== undefined) this.store.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', `seq:${name}`, String(n))
  }

  /**
   * Runs `write` in one transaction with every other write batched in this turn of the event loop, then `done(ok)`
   * once that transaction has committed (or failed). A registration storm of thousands of agents then costs one
   * fsync per batch instead of two per agent; Mesos' registrar batches its operations the same way, and, as there,
   * nothing is acknowledged before it is durable.
   */
  batch(write: () => void, done: (ok: boolean) => void): void {
    this.batchWrites.push(write)
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
      this.store.transaction(() => { for (const w of writes) w() })
    } catch (err) {
      ok = false
      // The counters may be ahead of the store now; that only skips numbers, which is allowed.
      log.error(`Registry write of ${writes.length} operation(s) failed: ${(err as Error).message}`)
    }
    for (const d of done) d(ok)
  }

  agents(): RegisteredAgent[] {
    return this.store.all<{ id: string; info: string; pid: string; state: AgentRegistryState; unreachable_time: number | null }>(
      'SELECT id, info, pid, state, unreachable_time FROM agents').map(r => ({
      id: r.id, info: JSON.parse(r.info), pid: r.pid, state: r.state, unreachableTime: r.unreachable_time ?? undefined,
    }))
  }

  putAgent(a: RegisteredAgent): void {
    this.store.run('INSERT OR REPLACE INTO agents (id, info, pid, state, unreachable_time) VALUES (?, ?, ?, ?, ?)',
      a.id, JSON.stringify(a.info), a.pid, a.state, a.unreachableTime ?? null)
  }

  removeAgent(id: string): void { this.store.run('DELETE FROM agents WHERE id = ?', id) }

  frameworks(): RegisteredFramework[] {
    return this.store.all<{ id: string; info: string; registered_time: number }>('SELECT id, info, registered_time FROM frameworks')
      .map(r => ({ id: r.id, info: JSON.parse(r.info), registeredTime: r.registered_time }))
  }

  putFramework(f: RegisteredFramework): void {
    this.store.run('INSERT OR REPLACE INTO frameworks (id, info, registered_time) VALUES (?, ?, ?)',
      f.id, JSON.stringify(f.info), f.registeredTime)
  }

  removeFramework(id: string): void { this.store.run('DELETE FROM frameworks WHERE id = ?', id) }

  weights(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const r of this.store.all<{ role: string; weight: number }>('SELECT role, weight FROM weights')) out[r.role] = r.weight
    return out
  }

  putWeights(weights: Record<string, number>): void {
    this.store.transaction(() => {
      for (const [role, weight] of Object.entries(weights)) {
        this.store.run('INSERT OR REPLACE INTO weights (role, weight) VALUES (?, ?)', role, weight)
      }
    })
  }

  close(): void {
    this.commitBatch()
    this.store.close()
  }
}

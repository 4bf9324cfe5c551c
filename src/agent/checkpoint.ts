// Everything an agent needs to come back after `kill -9`: its identity, the frameworks, executors and tasks it
// runs, the containers (and how to re-adopt them), unacknowledged status updates, and sandboxes awaiting GC.
// One SQLite file, <work_dir>/meta/agent.db, written with synchronous=FULL so an acknowledged launch is never lost.
// Writes are group-committed: the first write of an event-loop turn opens a transaction that commits (one fsync) at
// the end of the turn, so 1,000 launches arriving together cost a handful of fsyncs instead of ~10 each, and the
// event loop is not blocked on the disk per row. What must not run before its write is durable (a status update
// sent to the master, upstream's checkpoint-then-forward) waits for it with afterCommit().
// Also the checkpointed resources (dynamic reservations, persistent volumes) in two steps, as upstream's target and
// committed files: the set the master sent is stored as the target first, the volume directories are made or
// removed, then the target is committed; a restart in between finishes the job (src/agent/volumes/agent-resources.ts).

import { openStore, type SqlValue, type Store } from '../core/store.ts'
import type { Resource } from '../core/resources.ts'
import type { AgentInfo, ExecutorInfo, FrameworkInfo, TaskInfo, TaskState, TaskStatus } from '../core/v1/messages.ts'

export type ExecutorKind = 'command' | 'custom' | 'default'

export interface ExecutorRow {
  frameworkId: string
  executorId: string
  info: ExecutorInfo
  kind: ExecutorKind
  containerId: string
  sandbox: string
  state: 'running' | 'terminated'
}

export interface TaskRow {
  frameworkId: string
  taskId: string
  executorId: string
  info: TaskInfo
  state: TaskState
  containerId?: string
  /** Set once the agent asked the task to stop, so a recovered exit is reported as KILLED. */
  killRequested: boolean
  /** Recent statuses (container id, IPs…), re-reported to a master after a restart. */
  statuses?: TaskStatus[]
}

export interface ContainerRow {
  containerId: string
  parent?: string
  frameworkId: string
  executorId: string
  taskId?: string
  launcher: string
  /** Launcher-specific data needed to re-adopt the container (pids, start times, paths). */
  data: Record<string, unknown>
  state: 'launching' | 'running' | 'exited'
}

export interface UpdateRow { seq: number; frameworkId: string; taskId: string; uuid: string; status: TaskStatus }

export class Checkpoint {
  /** The group commit of the current turn is open (BEGIN issued, COMMIT scheduled). */
  private batchOpen = false
  private afterCommits: (() => void)[] = []
  private savepoints = 0

  /** `groupCommit: false` (the default here; open() turns it on): every write is its own transaction. */
  constructor(private readonly store: Store, private readonly groupCommit = false) {
    store.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS frameworks (id TEXT PRIMARY KEY, info TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS executors (framework_id TEXT NOT NULL, executor_id TEXT NOT NULL, info TEXT NOT NULL,
        kind TEXT NOT NULL, container_id TEXT NOT NULL, sandbox TEXT NOT NULL, state TEXT NOT NULL,
        PRIMARY KEY (framework_id, executor_id));
      CREATE TABLE IF NOT EXISTS tasks (framework_id TEXT NOT NULL, task_id TEXT NOT NULL, executor_id TEXT NOT NULL,
        info TEXT NOT NULL, state TEXT NOT NULL, container_id TEXT, kill_requested INTEGER NOT NULL DEFAULT 0,
        statuses TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (framework_id, task_id));
      CREATE TABLE IF NOT EXISTS containers (container_id TEXT PRIMARY KEY, parent TEXT, framework_id TEXT NOT NULL,
        executor_id TEXT NOT NULL, task_id TEXT, launcher TEXT NOT NULL, data TEXT NOT NULL, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, framework_id TEXT NOT NULL,
        task_id TEXT NOT NULL, uuid TEXT NOT NULL, status TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS gc (path TEXT PRIMARY KEY, remove_at REAL NOT NULL);
    `)
    // Checkpoints written by older agents: add what they lack, keep what they hold.
    const taskColumns = new Set(store.all<{ name: string }>('PRAGMA table_info(tasks)').map(c => c.name))
    if (!taskColumns.has('statuses')) store.exec("ALTER TABLE tasks ADD COLUMN statuses TEXT NOT NULL DEFAULT '[]'")
  }

  static open(path: string, opts: { groupCommit?: boolean } = {}): Checkpoint {
    return new Checkpoint(openStore(path, { synchronous: 'FULL' }), opts.groupCommit ?? true)
  }

  /** All of fn's writes or none (a savepoint inside the turn's group commit). */
  transaction<R>(fn: () => R): R {
    if (!this.groupCommit) return this.store.transaction(fn)
    this.begin()
    const name = `cp${++this.savepoints}`
    this.store.exec(`SAVEPOINT ${name}`)
    try {
      const r = fn()
      this.store.exec(`RELEASE ${name}`)
      return r
    } catch (err) {
      this.store.exec(`ROLLBACK TO ${name}`)
      this.store.exec(`RELEASE ${name}`)
      throw err
    } finally {
      this.savepoints--
    }
  }

  /** Runs `fn` once everything written so far is durable: now when nothing is pending, else right after the commit. */
  afterCommit(fn: () => void) {
    if (this.batchOpen) this.afterCommits.push(fn)
    else fn()
  }

  /** Commits the turn's writes now (before a side effect that must not precede them, and on close). */
  flush() {
    if (!this.batchOpen) return
    this.batchOpen = false
    this.store.exec('COMMIT')
    const after = this.afterCommits
    this.afterCommits = []
    for (const fn of after) fn()
  }

  close() {
    this.flush()
    this.store.close()
  }

  /** Every write goes through here: it joins the turn's group commit, opening it if needed. */
  private write(sql: string, ...params: SqlValue[]) {
    this.begin()
    this.store.run(sql, ...params)
  }

  private begin() {
    if (!this.groupCommit || this.batchOpen) return
    this.store.exec('BEGIN IMMEDIATE')
    this.batchOpen = true
    // setImmediate: after the I/O callbacks of this turn, so a burst of messages read together commits together.
    setImmediate(() => this.flush())
  }

  getMeta(key: string): string | undefined {
    return this.store.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value
  }
  setMeta(key: string, value: string) { this.write('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, value) }

  agentInfo(): AgentInfo | undefined { const v = this.getMeta('agent_info'); return v ? JSON.parse(v) : undefined }
  setAgentInfo(info: AgentInfo) { this.setMeta('agent_info', JSON.stringify(info)) }

  frameworks(): FrameworkInfo[] {
    return this.store.all<{ info: string }>('SELECT info FROM frameworks').map(r => JSON.parse(r.info))
  }
  putFramework(info: FrameworkInfo) {
    this.write('INSERT OR REPLACE INTO frameworks (id, info) VALUES (?, ?)', info.id!.value, JSON.stringify(info))
  }
  removeFramework(id: string) {
    this.transaction(() => {
      this.write('DELETE FROM frameworks WHERE id = ?', id)
      this.write('DELETE FROM executors WHERE framework_id = ?', id)
      this.write('DELETE FROM tasks WHERE framework_id = ?', id)
      this.write('DELETE FROM updates WHERE framework_id = ?', id)
    })
  }

  executors(): ExecutorRow[] {
    return this.store.all<any>('SELECT * FROM executors').map(r => ({
      frameworkId: r.framework_id, executorId: r.executor_id, info: JSON.parse(r.info), kind: r.kind,
      containerId: r.container_id, sandbox: r.sandbox, state: r.state,
    }))
  }
  putExecutor(e: ExecutorRow) {
    this.write('INSERT OR REPLACE INTO executors (framework_id, executor_id, info, kind, container_id, sandbox, state) VALUES (?, ?, ?, ?, ?, ?, ?)',
      e.frameworkId, e.executorId, JSON.stringify(e.info), e.kind, e.containerId, e.sandbox, e.state)
  }
  /** One executor's state, without reading (and parsing) every executor row. */
  setExecutorState(frameworkId: string, executorId: string, state: ExecutorRow['state']) {
    this.write('UPDATE executors SET state = ? WHERE framework_id = ? AND executor_id = ?', state, frameworkId, executorId)
  }
  removeExecutor(frameworkId: string, executorId: string) {
    this.write('DELETE FROM executors WHERE framework_id = ? AND executor_id = ?', frameworkId, executorId)
  }

  tasks(): TaskRow[] {
    return this.store.all<any>('SELECT * FROM tasks').map(r => ({
      frameworkId: r.framework_id, taskId: r.task_id, executorId: r.executor_id, info: JSON.parse(r.info),
      state: r.state, containerId: r.container_id ?? undefined, killRequested: !!r.kill_requested,
      statuses: JSON.parse(r.statuses ?? '[]'),
    }))
  }
  putTask(t: TaskRow) {
    this.write('INSERT OR REPLACE INTO tasks (framework_id, task_id, executor_id, info, state, container_id, kill_requested) VALUES (?, ?, ?, ?, ?, ?, ?)',
      t.frameworkId, t.taskId, t.executorId, JSON.stringify(t.info), t.state, t.containerId ?? null, t.killRequested ? 1 : 0)
  }
  setTaskState(frameworkId: string, taskId: string, state: TaskState, statuses: TaskStatus[]) {
    this.write('UPDATE tasks SET state = ?, statuses = ? WHERE framework_id = ? AND task_id = ?', state, JSON.stringify(statuses), frameworkId, taskId)
  }
  setKillRequested(frameworkId: string, taskId: string) {
    this.write('UPDATE tasks SET kill_requested = 1 WHERE framework_id = ? AND task_id = ?', frameworkId, taskId)
  }
  removeTask(frameworkId: string, taskId: string) {
    this.write('DELETE FROM tasks WHERE framework_id = ? AND task_id = ?', frameworkId, taskId)
  }

  containers(): ContainerRow[] {
    return this.store.all<any>('SELECT * FROM containers').map(r => ({
      containerId: r.container_id, parent: r.parent ?? undefined, frameworkId: r.framework_id, executorId: r.executor_id,
      taskId: r.task_id ?? undefined, launcher: r.launcher, data: JSON.parse(r.data), state: r.state,
    }))
  }
  putContainer(c: ContainerRow) {
    this.write('INSERT OR REPLACE INTO containers (container_id, parent, framework_id, executor_id, task_id, launcher, data, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      c.containerId, c.parent ?? null, c.frameworkId, c.executorId, c.taskId ?? null, c.launcher, JSON.stringify(c.data), c.state)
  }
  removeContainer(id: string) { this.write('DELETE FROM containers WHERE container_id = ?', id) }

  pendingUpdates(): UpdateRow[] {
    return this.store.all<any>('SELECT * FROM updates ORDER BY seq').map(r => ({
      seq: r.seq, frameworkId: r.framework_id, taskId: r.task_id, uuid: r.uuid, status: JSON.parse(r.status),
    }))
  }
  addUpdate(frameworkId: string, taskId: string, uuid: string, status: TaskStatus): number {
    this.write('INSERT INTO updates (framework_id, task_id, uuid, status) VALUES (?, ?, ?, ?)', frameworkId, taskId, uuid, JSON.stringify(status))
    return this.store.get<{ seq: number }>('SELECT last_insert_rowid() AS seq')!.seq
  }
  removeUpdate(seq: number) { this.write('DELETE FROM updates WHERE seq = ?', seq) }

  /** The checkpointed resources last committed (their volume directories exist); empty when none. */
  checkpointedResources(): Resource[] {
    const v = this.getMeta('checkpointed_resources')
    return v ? JSON.parse(v) : []
  }
  /** Resources the master sent whose volume directories may not be made or removed yet (a pending sync). */
  targetCheckpointedResources(): Resource[] | undefined {
    const v = this.getMeta('checkpointed_resources_target')
    return v ? JSON.parse(v) : undefined
  }
  setTargetCheckpointedResources(resources: readonly Resource[]) {
    this.setMeta('checkpointed_resources_target', JSON.stringify(resources))
    // Durable before any volume directory is made or removed: a restart in between finishes the job from it.
    this.flush()
  }
  /** The target becomes the committed set, in one transaction. */
  commitCheckpointedResources(resources: readonly Resource[]) {
    this.transaction(() => {
      this.setMeta('checkpointed_resources', JSON.stringify(resources))
      this.write("DELETE FROM meta WHERE key = 'checkpointed_resources_target'")
    })
    this.flush()
  }

  gcEntries(): { path: string; removeAt: number }[] {
    return this.store.all<{ path: string; remove_at: number }>('SELECT path, remove_at FROM gc ORDER BY remove_at').map(r => ({ path: r.path, removeAt: r.remove_at }))
  }
  scheduleGc(path: string, removeAt: number) { this.write('INSERT OR REPLACE INTO gc (path, remove_at) VALUES (?, ?)', path, removeAt) }
  unscheduleGc(path: string) { this.write('DELETE FROM gc WHERE path = ?', path) }
}

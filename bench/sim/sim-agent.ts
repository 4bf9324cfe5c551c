// One simulated agent: a WebSocket to the master's agent link speaking the internal protocol
// (src/core/agent-protocol.ts) with its own hostname, resources and AgentID. It runs no processes: a launched task
// reports TASK_STARTING and TASK_RUNNING at once, as the command executor would, and TASK_FINISHED when the
// process-wide clock says its time is up. Status updates are delivered reliably (update-streams.ts), kills answered
// with TASK_KILLED, pings with PONG. Nothing here comes from src/agent/**: this is a client of the protocol.
//
// With `follow` (a fleet given a zk:// URL) it behaves as the real agent's master link does after a failover
// (src/agent/master-link.ts): `retarget` to a newly detected leader drops the old link and connects at once; a link
// that drops or fails to open is retried after a random wait up to a second; every connection after the first
// registration sends REREGISTER with the agent id, its frameworks, executors and tasks (as Agent.hello does), and
// REREGISTERED resends the unacknowledged updates. Without it a lost link stays lost (one master, no failover).

import type { AgentMessage, MasterMessage } from '../../src/core/agent-protocol.ts'
import { AGENT_PROTOCOL_VERSION } from '../../src/core/agent-protocol.ts'
import { newUpdateUuid } from '../../src/core/ids.ts'
import type { Resource } from '../../src/core/resources.ts'
import type { ExecutorInfo, FrameworkInfo, Task, TaskInfo, TaskState, TaskStatus } from '../../src/core/v1/messages.ts'
import { isTerminal } from '../../src/core/v1/messages.ts'
import { UpdateStreams } from './update-streams.ts'

/** What the agent advertises; the same set the real agent sends. */
const CAPABILITIES = ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT']
/** Longest wait before reconnecting a followed link that dropped or did not open (the real agent's RECONNECT_MAX_MS). */
const RECONNECT_MAX_MS = 1_000
/** Right after a leader change: quick retries, as the real agent's master link (RETARGET_WINDOW_MS, RETARGET_RETRY_MS). */
const RETARGET_WINDOW_MS = 5_000
const RETARGET_RETRY_MS = 100
/** Epoch milliseconds with a fraction: update round trips on loopback are often under a millisecond. */
const preciseNow = () => performance.timeOrigin + performance.now()

export interface SimStats {
  /** First registrations (REGISTERED). */
  registered: number
  /** Re-registrations after a lost link (REREGISTERED), with `follow` only. */
  reregistered: number
  /** Links after the first registration that closed unanswered (master down, or not leading yet), with `follow` only. */
  reconnectFailures: number
  disconnected: number
  tasksLaunched: number
  tasksRunning: number
  tasksFinished: number
  tasksKilled: number
  updatesSent: number
  acks: number
  retries: number
}

export const emptyStats = (): SimStats => ({
  registered: 0, reregistered: 0, reconnectFailures: 0, disconnected: 0, tasksLaunched: 0, tasksRunning: 0, tasksFinished: 0, tasksKilled: 0, updatesSent: 0, acks: 0, retries: 0,
})

interface SimTask {
  frameworkId: string
  taskId: string
  executorId: string
  containerId: string
  state: TaskState
  info: TaskInfo
  /** The executor of a task group or custom-executor task (reported on re-registration); none for a command task. */
  executor?: ExecutorInfo
  /** Every status of the task, oldest first (the Task a re-registration reports carries them). */
  statuses: TaskStatus[]
}

export interface SimAgentOptions {
  /** ws://host:port/internal/v1/agent: the master it registers with first. */
  url: string
  /** Reconnect a lost link and re-register (to the master `retarget` last named); default: a lost link stays lost. */
  follow?: boolean
  hostname: string
  /** The port the agent claims to listen on (nothing listens: no one connects to a simulated agent). */
  port: number
  resources: Resource[]
  stats: SimStats
  /** A task reached TASK_RUNNING: the owner schedules its end (or never, for long-running load). */
  onRunning(agent: SimAgent, key: string): void
  /** An update was acknowledged: ms from sending STATUS_UPDATE to the master's ACKNOWLEDGE (bench/footprint.ts). */
  onRoundTrip?(ms: number): void
}

export class SimAgent {
  id?: string
  /** The master (its MasterInfo id) that answered this link's registration; undefined while not registered. */
  masterId?: string
  /** When this agent last (re-)registered, ms since the epoch (comparable across the fleet's processes). */
  registeredAt = 0
  private url: string | undefined
  private ws?: WebSocket
  /** The current link has been answered REGISTERED / REREGISTERED. */
  private linked = false
  private readonly tasks = new Map<string, SimTask>()
  private readonly frameworks = new Map<string, FrameworkInfo>()
  private readonly streams: UpdateStreams
  private closing = false
  private reconnectTimer?: ReturnType<typeof setTimeout>
  private first?: { resolve: () => void; reject: (e: Error) => void }

  constructor(private readonly opts: SimAgentOptions) {
    this.url = opts.url
    this.streams = new UpdateStreams({
      update: update => { this.opts.stats.updatesSent++; this.send({ type: 'STATUS_UPDATE', update }) },
      latest: (framework_id, task_id, state) => this.send({ type: 'LATEST_STATE', framework_id, task_id, state }),
    })
  }

  get taskCount(): number { return this.tasks.size }

  /** The master this agent is registered with now, if any. */
  get registeredWith(): string | undefined { return this.linked ? this.masterId : undefined }

  /** Opens the link and registers; resolves once the master has answered REGISTERED. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.first = { resolve, reject }
      this.open()
    })
  }

  /**
   * A new leader was detected (undefined: none is): drop the link to the old one and connect to the new one at
   * once, as the real agent's MasterLink.retarget does. Before the first registration only the address changes.
   */
  private retargetedAt = 0

  retarget(url: string | undefined): void {
    if (url === this.url) return
    this.url = url
    this.retargetedAt = Date.now()
    if (!this.id || this.closing) return
    clearTimeout(this.reconnectTimer)
    if (this.ws) this.drop(this.ws)
    this.open()
  }

  close(): void {
    this.closing = true
    clearTimeout(this.reconnectTimer)
    try { this.ws?.close() } catch { /* already closed */ }
  }

  private open(): void {
    if (this.closing || !this.url) return
    const ws = new WebSocket(this.url)
    this.ws = ws
    let why = ''
    ws.onopen = () => { if (this.ws === ws) ws.send(JSON.stringify(this.hello())) }
    ws.onmessage = ev => {
      if (this.ws !== ws) return
      const msg = JSON.parse(typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer)) as MasterMessage
      if (!this.linked && (msg.type === 'REGISTERED' || msg.type === 'REREGISTERED')) return this.registered(msg)
      this.handle(msg)
    }
    ws.onclose = ev => {
      if (this.ws !== ws) return
      const answered = this.linked
      this.drop(ws)
      if (this.closing) return
      if (!this.id) {
        // The first registration failed: the fleet says so rather than retrying forever.
        this.first?.reject(new Error(`agent ${this.opts.hostname}: ${why || `link closed before registration (${ev.code} ${ev.reason})`}`))
        return
      }
      if (!this.opts.follow) return
      if (!answered) this.opts.stats.reconnectFailures++
      const fresh = Date.now() - this.retargetedAt < RETARGET_WINDOW_MS
      this.reconnectTimer = setTimeout(() => this.open(), Math.random() * (fresh ? RETARGET_RETRY_MS : RECONNECT_MAX_MS))
    }
    ws.onerror = () => { why = `cannot connect to ${this.url}` }
  }

  /** Forgets the link `ws` (closing it if still open); counts a registered link's loss. */
  private drop(ws: WebSocket): void {
    if (this.ws !== ws) return
    this.ws = undefined
    ws.onclose = null
    ws.onmessage = null
    try { ws.close() } catch { /* already closed */ }
    if (this.linked && !this.closing) this.opts.stats.disconnected++
    this.linked = false
  }

  private registered(msg: Extract<MasterMessage, { type: 'REGISTERED' | 'REREGISTERED' }>): void {
    const first = !this.id
    this.id = msg.agent_id
    this.masterId = msg.master_info.id
    this.registeredAt = Date.now()
    this.linked = true
    if (first) {
      this.opts.stats.registered++
      this.first?.resolve()
      this.first = undefined
    } else {
      // As the real agent's status update manager resumes: what the old master never acknowledged goes out again.
      this.opts.stats.reregistered++
      this.streams.resendAll(preciseNow())
    }
  }

  /** REGISTER the first time; REREGISTER, with the agent id and everything it runs, on every later link. */
  private hello(): AgentMessage {
    const agent_info = { hostname: this.opts.hostname, port: this.opts.port, resources: this.opts.resources }
    const base = { version: '1.12.0', capabilities: CAPABILITIES, protocol: AGENT_PROTOCOL_VERSION, pid: `slave(1)@127.0.0.1:${this.opts.port}` }
    if (!this.id) return { type: 'REGISTER', agent_info, ...base }
    const tasks: Task[] = []
    const executors = new Map<string, { framework_id: string; executor_info: ExecutorInfo }>()
    const frameworks = new Map<string, FrameworkInfo>()
    for (const t of this.tasks.values()) {
      tasks.push(this.taskView(t))
      const fw = this.frameworks.get(t.frameworkId)
      if (fw) frameworks.set(t.frameworkId, fw)
      if (t.executor) executors.set(t.frameworkId + '/' + t.executorId, { framework_id: t.frameworkId, executor_info: t.executor })
    }
    return {
      type: 'REREGISTER', agent_info: { ...agent_info, id: { value: this.id } }, ...base,
      frameworks: [...frameworks.values()], executors: [...executors.values()], tasks,
    }
  }

  /** The Task a re-registration reports, shaped as the real agent's Agent.taskView. */
  private taskView(t: SimTask): Task {
    const task: Task = {
      name: t.info.name,
      task_id: t.info.task_id,
      framework_id: { value: t.frameworkId },
      executor_id: { value: t.executorId },
      agent_id: { value: this.id! },
      state: t.state,
      resources: t.info.resources,
      statuses: t.statuses,
    }
    const last = t.statuses[t.statuses.length - 1]
    if (last?.uuid) { task.status_update_state = last.state; task.status_update_uuid = last.uuid }
    return task
  }

  /** The task's time is up: it exits 0 (unless it was killed or acknowledged away meanwhile). */
  finish(key: string): void {
    const t = this.tasks.get(key)
    if (!t || isTerminal(t.state)) return
    this.opts.stats.tasksFinished++
    this.update(t, 'TASK_FINISHED', { message: 'Command exited with status 0' })
  }

  /** Resends overdue update heads (one sweep per process drives every agent). */
  retryDue(now: number): void {
    const before = this.streams.retries
    this.streams.retryDue(now)
    this.opts.stats.retries += this.streams.retries - before
  }

  /** Sends on a registered link; anything else waits (updates are resent on re-registration). */
  private send(msg: AgentMessage): void {
    if (this.linked && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg))
  }

  private handle(msg: MasterMessage): void {
    switch (msg.type) {
      case 'RUN_TASK': this.launch(msg.framework, msg.task.executor ?? undefined, [msg.task]); break
      case 'RUN_TASK_GROUP': this.launch(msg.framework, msg.executor, msg.tasks); break
      case 'KILL_TASK': this.kill(this.tasks.get(msg.framework_id + '/' + msg.task_id)); break
      case 'SHUTDOWN_EXECUTOR':
        for (const t of this.tasks.values()) if (t.frameworkId === msg.framework_id && t.executorId === msg.executor_id) this.kill(t)
        break
      case 'SHUTDOWN_FRAMEWORK':
        // As the agent does: everything of the framework is killed and its queued updates dropped.
        for (const [key, t] of this.tasks) if (t.frameworkId === msg.framework_id) this.tasks.delete(key)
        this.streams.dropFramework(msg.framework_id)
        this.frameworks.delete(msg.framework_id)
        break
      case 'ACKNOWLEDGE': {
        this.opts.stats.acks++
        const acked = this.streams.acknowledge(msg.framework_id, msg.task_id, msg.uuid, preciseNow())
        if (acked) this.opts.onRoundTrip?.(this.streams.lastRoundTripMs)
        // A delivered terminal update is the end of the task on the agent.
        if (acked && isTerminal(acked.state)) this.tasks.delete(msg.framework_id + '/' + msg.task_id)
        break
      }
      case 'PING': this.send({ type: 'PONG', seq: msg.seq }); break
      case 'UPDATE_FRAMEWORK':
        if (this.frameworks.has(msg.framework.id!.value)) this.frameworks.set(msg.framework.id!.value, msg.framework)
        this.streams.resendFramework(msg.framework.id!.value, preciseNow())
        break
      case 'SHUTDOWN': this.close(); break
      default: break // FRAMEWORK_MESSAGE: nothing to simulate
    }
  }

  private launch(framework: FrameworkInfo, executor: ExecutorInfo | undefined, infos: TaskInfo[]): void {
    const frameworkId = framework.id!.value
    const executorId = executor?.executor_id.value
    this.frameworks.set(frameworkId, framework)
    const containerId = crypto.randomUUID()
    for (const info of infos) {
      const key = frameworkId + '/' + info.task_id.value
      // A task id in use on this agent is a master bug the benchmark should surface, not paper over.
      if (this.tasks.has(key)) throw new Error(`duplicate RUN_TASK for ${key}`)
      const t: SimTask = {
        frameworkId, taskId: info.task_id.value, executorId: executorId ?? info.task_id.value, containerId, state: 'TASK_STAGING', info, statuses: [],
      }
      if (executor) t.executor = executor
      this.tasks.set(key, t)
      this.opts.stats.tasksLaunched++
      this.update(t, 'TASK_STARTING')
      this.update(t, 'TASK_RUNNING', { executor_pid: 1000 + (this.opts.stats.tasksLaunched % 30000) })
      this.opts.stats.tasksRunning++
      this.opts.onRunning(this, key)
    }
  }

  private kill(t: SimTask | undefined): void {
    if (!t || isTerminal(t.state)) return
    this.opts.stats.tasksKilled++
    this.update(t, 'TASK_KILLED', { message: 'Command terminated with signal Terminated' })
  }

  private update(t: SimTask, state: TaskState, extra: { message?: string; executor_pid?: number } = {}): void {
    t.state = state
    const status: TaskStatus = {
      task_id: { value: t.taskId },
      state,
      source: 'SOURCE_EXECUTOR',
      agent_id: { value: this.id! },
      executor_id: { value: t.executorId },
      timestamp: Date.now() / 1000,
      uuid: newUpdateUuid(),
      container_status: {
        container_id: { value: t.containerId },
        network_infos: [{ ip_addresses: [{ protocol: 'IPv4', ip_address: '127.0.0.1' }] }],
        ...(extra.executor_pid !== undefined ? { executor_pid: extra.executor_pid } : {}),
      },
    }
    if (extra.message) status.message = extra.message
    t.statuses.push(status)
    this.streams.push(t.frameworkId, status, preciseNow())
  }
}

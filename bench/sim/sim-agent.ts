// One simulated agent: a WebSocket to the master's agent link speaking the internal protocol
// (src/core/agent-protocol.ts) with its own hostname, resources and AgentID. It runs no processes: a launched task
// reports TASK_STARTING and TASK_RUNNING at once, as the command executor would, and TASK_FINISHED when the
// process-wide clock says its time is up. Status updates are delivered reliably (update-streams.ts), kills answered
// with TASK_KILLED, pings with PONG. Nothing here comes from src/agent/**: this is a client of the protocol.

import type { AgentMessage, MasterMessage } from '../../src/core/agent-protocol.ts'
import { AGENT_PROTOCOL_VERSION } from '../../src/core/agent-protocol.ts'
import { newUpdateUuid } from '../../src/core/ids.ts'
import type { Resource } from '../../src/core/resources.ts'
import type { TaskInfo, TaskState, TaskStatus } from '../../src/core/v1/messages.ts'
import { isTerminal } from '../../src/core/v1/messages.ts'
import { UpdateStreams } from './update-streams.ts'

/** What the agent advertises; the same set the real agent sends. */
const CAPABILITIES = ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT']

export interface SimStats {
  registered: number
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
  registered: 0, disconnected: 0, tasksLaunched: 0, tasksRunning: 0, tasksFinished: 0, tasksKilled: 0, updatesSent: 0, acks: 0, retries: 0,
})

interface SimTask { frameworkId: string; taskId: string; executorId: string; containerId: string; state: TaskState }

export interface SimAgentOptions {
  /** ws://host:port/internal/v1/agent */
  url: string
  hostname: string
  /** The port the agent claims to listen on (nothing listens: no one connects to a simulated agent). */
  port: number
  resources: Resource[]
  stats: SimStats
  /** A task reached TASK_RUNNING: the owner schedules its end (or never, for long-running load). */
  onRunning(agent: SimAgent, key: string): void
}

export class SimAgent {
  id?: string
  private ws?: WebSocket
  private readonly tasks = new Map<string, SimTask>()
  private readonly streams: UpdateStreams
  private closing = false

  constructor(private readonly opts: SimAgentOptions) {
    this.streams = new UpdateStreams({
      update: update => { this.opts.stats.updatesSent++; this.send({ type: 'STATUS_UPDATE', update }) },
      latest: (framework_id, task_id, state) => this.send({ type: 'LATEST_STATE', framework_id, task_id, state }),
    })
  }

  get taskCount(): number { return this.tasks.size }

  /** Opens the link and registers; resolves once the master has answered REGISTERED. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.opts.url)
      this.ws = ws
      let registered = false
      ws.onopen = () => {
        const hello: AgentMessage = {
          type: 'REGISTER',
          agent_info: { hostname: this.opts.hostname, port: this.opts.port, resources: this.opts.resources },
          version: '1.12.0',
          capabilities: CAPABILITIES,
          protocol: AGENT_PROTOCOL_VERSION,
          pid: `slave(1)@127.0.0.1:${this.opts.port}`,
        }
        ws.send(JSON.stringify(hello))
      }
      ws.onmessage = ev => {
        const msg = JSON.parse(typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer)) as MasterMessage
        if (!registered && (msg.type === 'REGISTERED' || msg.type === 'REREGISTERED')) {
          registered = true
          this.id = msg.agent_id
          this.opts.stats.registered++
          resolve()
          return
        }
        this.handle(msg)
      }
      ws.onclose = ev => {
        if (!registered) reject(new Error(`agent ${this.opts.hostname}: link closed before registration (${ev.code} ${ev.reason})`))
        else if (!this.closing) this.opts.stats.disconnected++
      }
      ws.onerror = () => { if (!registered) reject(new Error(`agent ${this.opts.hostname}: cannot connect to ${this.opts.url}`)) }
    })
  }

  close(): void {
    this.closing = true
    try { this.ws?.close() } catch { /* already closed */ }
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

  private send(msg: AgentMessage): void {
    this.ws?.send(JSON.stringify(msg))
  }

  private handle(msg: MasterMessage): void {
    switch (msg.type) {
      case 'RUN_TASK': this.launch(msg.framework.id!.value, msg.task.executor?.executor_id.value, [msg.task]); break
      case 'RUN_TASK_GROUP': this.launch(msg.framework.id!.value, msg.executor.executor_id.value, msg.tasks); break
      case 'KILL_TASK': this.kill(this.tasks.get(msg.framework_id + '/' + msg.task_id)); break
      case 'SHUTDOWN_EXECUTOR':
        for (const t of this.tasks.values()) if (t.frameworkId === msg.framework_id && t.executorId === msg.executor_id) this.kill(t)
        break
      case 'SHUTDOWN_FRAMEWORK':
        // As the agent does: everything of the framework is killed and its queued updates dropped.
        for (const [key, t] of this.tasks) if (t.frameworkId === msg.framework_id) this.tasks.delete(key)
        this.streams.dropFramework(msg.framework_id)
        break
      case 'ACKNOWLEDGE': {
        this.opts.stats.acks++
        const acked = this.streams.acknowledge(msg.framework_id, msg.task_id, msg.uuid, Date.now())
        // A delivered terminal update is the end of the task on the agent.
        if (acked && isTerminal(acked.state)) this.tasks.delete(msg.framework_id + '/' + msg.task_id)
        break
      }
      case 'PING': this.send({ type: 'PONG', seq: msg.seq }); break
      case 'UPDATE_FRAMEWORK': this.streams.resendFramework(msg.framework.id!.value, Date.now()); break
      case 'SHUTDOWN': this.close(); break
      default: break // REREGISTERED after a reconnect, FRAMEWORK_MESSAGE: nothing to simulate
    }
  }

  private launch(frameworkId: string, executorId: string | undefined, infos: TaskInfo[]): void {
    const containerId = crypto.randomUUID()
    for (const info of infos) {
      const key = frameworkId + '/' + info.task_id.value
      // A task id in use on this agent is a master bug the benchmark should surface, not paper over.
      if (this.tasks.has(key)) throw new Error(`duplicate RUN_TASK for ${key}`)
      const t: SimTask = { frameworkId, taskId: info.task_id.value, executorId: executorId ?? info.task_id.value, containerId, state: 'TASK_STAGING' }
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
    this.streams.push(t.frameworkId, status, Date.now())
  }
}

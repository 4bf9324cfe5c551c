// An agent as the master tracks it. `state` mirrors Mesos: registered (link up), disconnected (link dropped,
// waiting for it to come back before the ping timeout), recovered (in the registry after a master restart, not yet
// re-registered), unreachable (timed out; its tasks are UNREACHABLE/LOST).

import type { MasterMessage } from '../core/agent-protocol.ts'
import { Resources } from '../core/resources.ts'
import type { AgentInfo, ExecutorInfo, KillPolicy, Task } from '../core/v1/messages.ts'
import { AgentTasks } from './agent-tasks.ts'
import { pingSlice } from './ping-slice.ts'
import { resourcesOf } from './resource-lists.ts'

export type AgentState = 'registered' | 'disconnected' | 'recovered' | 'unreachable'

export interface AgentLink {
  send(msg: MasterMessage): void
  close(reason?: string): void
}

export class RegisteredAgent {
  state: AgentState
  link?: AgentLink
  total: Resources
  /**
   * Dynamic reservations and persistent volumes (post-refinement), part of `total`; src/master/operations/.
   * Undefined: not known yet (recovered from a registrar that did not keep them): the agent's report is adopted.
   */
  checkpointed?: Resources
  registeredTime?: number
  reregisteredTime?: number
  unreachableTime?: number
  version = ''
  capabilities: string[] = []
  deactivated = false
  /** Tasks on this agent, by framework id and task id. */
  readonly tasks = new AgentTasks()
  /** framework id → executor id → ExecutorInfo */
  readonly executors = new Map<string, Map<string, ExecutorInfo>>()
  readonly offers = new Set<string>()
  /** Kills asked for while the agent was disconnected; replayed when it re-registers (as Mesos does). */
  readonly pendingKills = new Map<string, { frameworkId: string; taskId: string; killPolicy?: KillPolicy }>()
  /** Acknowledgements (framework/task → uuids) that arrived while the agent was disconnected. */
  readonly pendingAcks = new Map<string, string[]>()
  missedPings = 0
  pingSeq = 0
  lastPongSeq = 0
  /** Which of the ping ticks pings this agent (agents.ts, pingSlice). */
  readonly pingSlice: number

  /** `{ value: id }`, shared by every task on the agent instead of one copy each. */
  readonly wireId: { readonly value: string }

  constructor(readonly id: string, public info: AgentInfo, public pid: string, state: AgentState) {
    this.wireId = { value: id }
    this.pingSlice = pingSlice(id)
    this.state = state
    this.total = Resources.of(info.resources)
  }

  get connected(): boolean { return this.state === 'registered' }
  get hostname(): string { return this.info.hostname }
  get port(): number { return this.info.port ?? 5051 }
  /** `slave(1)@ip:port` → `ip:port` */
  get address(): string { return this.pid.split('@')[1] ?? `${this.hostname}:${this.port}` }
  get hasGpus(): boolean { return this.total.scalar('gpus') > 0 }

  usedResources(): Resources {
    return Resources.sum(this.usedParts())
  }

  private *usedParts(): Generator<Resources> {
    for (const t of this.tasks.values()) if (!isReleased(t)) yield resourcesOf(t.resources)
    for (const execs of this.executors.values()) for (const e of execs.values()) yield resourcesOf(e.resources)
  }

  executorsOf(frameworkId: string): Map<string, ExecutorInfo> {
    let m = this.executors.get(frameworkId)
    if (!m) { m = new Map(); this.executors.set(frameworkId, m) }
    return m
  }
}

const RELEASED = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR'])
/** A task whose latest state is terminal no longer holds resources, even before its update is acknowledged. */
export const isReleased = (t: Task) => RELEASED.has(t.state)

// The internal master ⇄ agent protocol (docs/agent-protocol.md describes it for people). One WebSocket per agent at
// `GET /internal/v1/agent` on the master; every frame is one JSON object with a `type`. Messages carry v1 JSON
// shapes (TaskInfo, TaskStatus, …) so nothing is translated twice.

import type {
  AgentInfo, ExecutorInfo, FrameworkInfo, KillPolicy, MasterInfo, Resource, Task, TaskInfo, TaskStatus,
} from './v1/messages.ts'
import type { SecretValues } from './secrets/task-secrets.ts'

export const AGENT_PROTOCOL_PATH = '/internal/v1/agent'
export const AGENT_PROTOCOL_VERSION = 1

/** A status update as the agent's status update manager forwards it. */
export interface StatusUpdate {
  framework_id: string
  status: TaskStatus
  /** The newest state the agent knows for the task (may be ahead of `status.state` while updates queue). */
  latest_state?: TaskStatus['state']
}

export interface AgentExecutorState {
  framework_id: string
  executor_info: ExecutorInfo
}

// ------------------------------------------------------------------------------------------- agent → master
export type AgentMessage =
  | {
      type: 'REGISTER'; agent_info: AgentInfo; version: string; capabilities: string[]; protocol: number; pid: string
      /**
       * Reservations and volumes the agent kept from before it registers anew (a host reboot; upstream
       * RegisterSlaveMessage.checkpointed_resources): a new agent's total includes them.
       */
      checkpointed_resources?: Resource[]
    }
  | {
      type: 'REREGISTER'; agent_info: AgentInfo; version: string; capabilities: string[]; protocol: number; pid: string
      frameworks: FrameworkInfo[]; executors: AgentExecutorState[]; tasks: Task[]
      /**
       * The agent's checkpointed resources (dynamic reservations and persistent volumes, post-refinement format) as
       * it last applied them. The master's copy is authoritative: when they differ it answers CHECKPOINT_RESOURCES.
       */
      checkpointed_resources?: Resource[]
    }
  | { type: 'STATUS_UPDATE'; update: StatusUpdate }
  /**
   * A newer update is queued behind an unacknowledged one: the master records the task's latest state (and frees
   * the resources of a finished task) without forwarding anything to the scheduler.
   */
  | { type: 'LATEST_STATE'; framework_id: string; task_id: string; state: TaskStatus['state'] }
  | { type: 'EXECUTOR_MESSAGE'; framework_id: string; executor_id: string; data: string }
  | { type: 'EXITED_EXECUTOR'; framework_id: string; executor_id: string; status?: number }
  | { type: 'PONG'; seq: number }

// ------------------------------------------------------------------------------------------- master → agent
export type MasterMessage =
  | { type: 'REGISTERED'; agent_id: string; master_info: MasterInfo; ping_interval_ms: number }
  | { type: 'REREGISTERED'; agent_id: string; master_info: MasterInfo; ping_interval_ms: number }
  /**
   * `task` has its secrets redacted; `secrets` holds their values by location in the TaskInfo (base64), for the
   * agent to use at launch and never store (src/core/secrets/task-secrets.ts, docs/security-secrets.md).
   */
  | { type: 'RUN_TASK'; framework: FrameworkInfo; task: TaskInfo; secrets?: SecretValues }
  /** As RUN_TASK; `secrets` by task id. */
  | { type: 'RUN_TASK_GROUP'; framework: FrameworkInfo; executor: ExecutorInfo; tasks: TaskInfo[]; secrets?: Record<string, SecretValues> }
  | { type: 'KILL_TASK'; framework_id: string; task_id: string; kill_policy?: KillPolicy }
  | { type: 'SHUTDOWN_EXECUTOR'; framework_id: string; executor_id: string }
  | { type: 'SHUTDOWN_FRAMEWORK'; framework_id: string }
  | { type: 'ACKNOWLEDGE'; framework_id: string; task_id: string; uuid: string }
  | { type: 'FRAMEWORK_MESSAGE'; framework_id: string; executor_id: string; data: string }
  /** The framework (re)subscribed: its info may have changed, and queued status updates should be resent now. */
  | { type: 'UPDATE_FRAMEWORK'; framework: FrameworkInfo }
  | { type: 'PING'; seq: number }
  /** Registration refused or agent removed: the agent must stop (message says why). */
  | { type: 'SHUTDOWN'; message: string }
  /**
   * The agent's complete set of checkpointed resources (dynamic reservations and persistent volumes, v1 JSON,
   * post-refinement `reservations` format), sent after every applied RESERVE/UNRESERVE/CREATE/DESTROY/GROW/SHRINK and
   * after (re)registration when the agent's report differs (upstream CheckpointResourcesMessage). The agent persists
   * them before anything else, creates the directory of each new persistent volume and removes the directory of each
   * destroyed one (volumes/roles/<role>/<persistence id> under its work dir).
   */
  | { type: 'CHECKPOINT_RESOURCES'; resources: Resource[] }
  /**
   * DRAIN_AGENT (upstream DrainSlaveMessage): kill every task, with at most `max_grace_period_ns` of grace
   * (nanoseconds), and accept no new ones until the master reactivates the agent.
   * `mark_gone`: the agent will be marked gone once drained (killed tasks of partition-aware frameworks are then
   * reported TASK_GONE_BY_OPERATOR, as upstream's agent does).
   */
  | { type: 'DRAIN'; max_grace_period_ns?: number; mark_gone?: boolean }
  /**
   * The whole VIP table (src/master/vips/), sent after (re)registration and within a second of any change: each VIP
   * (`ip:port`) with the backends (`ip:port`) that take new connections. The agent makes its kernel load balancer
   * match it exactly (src/agent/l4lb/); VIPs it does not list are removed.
   */
  | { type: 'VIPS'; vips: VipSpec[] }

/** One VIP as agents program it. */
export interface VipSpec { vip: string; protocol: 'tcp' | 'udp'; backends: string[] }

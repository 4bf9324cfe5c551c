// The internal master ⇄ agent protocol (docs/agent-protocol.md describes it for people). One WebSocket per agent at
// `GET /internal/v1/agent` on the master; every frame is one JSON object with a `type`. Messages carry v1 JSON
// shapes (TaskInfo, TaskStatus, …) so nothing is translated twice.

import type {
  AgentInfo, ExecutorInfo, FrameworkInfo, KillPolicy, MasterInfo, Task, TaskInfo, TaskStatus,
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
  | { type: 'REGISTER'; agent_info: AgentInfo; version: string; capabilities: string[]; protocol: number; pid: string }
  | {
      type: 'REREGISTER'; agent_info: AgentInfo; version: string; capabilities: string[]; protocol: number; pid: string
      frameworks: FrameworkInfo[]; executors: AgentExecutorState[]; tasks: Task[]
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

// What the agent keeps per executor and per task, and the environment executors and tasks start with
// (as Mesos' executorEnvironment() in src/slave/slave.cpp builds it). Executor kinds: `command` (the built-in command executor, run inside the agent;
// the task process is the container), `default` (the built-in executor for task groups; each task is a nested
// container), `custom` (a framework's executor process speaking the v1 executor API).

import type { Checkpoint, ExecutorKind } from '../checkpoint.ts'
import type { Containerizer } from '../containerizer/containerizer.ts'
import type { Termination } from '../containerizer/launcher.ts'
import type { AgentFlags } from '../flags.ts'
import type { ExecutorStatus } from './terminal-status.ts'
import type { Environment, ExecutorInfo, FrameworkInfo, KillPolicy, TaskInfo, TaskState, TaskStatus } from '../../core/v1/messages.ts'
import { isTerminal } from '../../core/v1/messages.ts'
import { referencePath } from '../../core/secrets/task-secrets.ts'

export class AgentTask {
  state: TaskState = 'TASK_STAGING'
  statuses: TaskStatus[] = []
  containerId?: string
  pid?: number
  /** What every update carries once the container runs (network infos, pid); taken at launch, while the network is up. */
  containerStatus?: TaskStatus['container_status']
  killRequested = false
  killTimer?: ReturnType<typeof setTimeout>
  launchedAt = Date.now()
  constructor(readonly frameworkId: string, readonly executorId: string, public info: TaskInfo) {}
  get id(): string { return this.info.task_id.value }
  get terminal(): boolean { return isTerminal(this.state) }
}

export type ExecutorState = 'registering' | 'running' | 'terminating' | 'terminated'

export interface ExecutorHost {
  /** The agent flags executors read (registration timeouts, shutdown grace period, --switch_user for sandboxes). */
  readonly flags: Pick<AgentFlags, 'executor_registration_timeout' | 'executor_reregistration_timeout' | 'executor_shutdown_grace_period' | 'switch_user'>
  readonly containerizer: Containerizer
  readonly checkpoint: Checkpoint
  readonly agentId: string
  frameworkInfo(frameworkId: string): FrameworkInfo
  /** Feeds a status into the status update manager and the task record. */
  update(exec: AgentExecutorBase, task: AgentTask, status: ExecutorStatus): void
  /** A container of this executor (a task's) has ended: containers nested in it go too. */
  containerEnded(containerId: string): void
  /** The executor has ended and holds nothing any more. */
  executorTerminated(exec: AgentExecutorBase, termination?: Termination): void
  /** Environment for processes of this executor (agent env or --executor_environment_variables, MESOS_* vars). */
  executorEnv(exec: AgentExecutorBase): Record<string, string>
  /** The executor's token (claims fid/eid/cid) when the agent issues them (--jwt_secret_key); docs/security-auth.md. */
  executorToken?(exec: AgentExecutorBase): string | undefined
  /** Status extras every RUNNING update carries (network info of the container). */
  containerStatus(containerId: string, pid: number | undefined): TaskStatus['container_status']
}

export abstract class AgentExecutorBase {
  state: ExecutorState = 'registering'
  readonly tasks = new Map<string, AgentTask>()
  completedTasks: AgentTask[] = []
  abstract readonly kind: ExecutorKind

  constructor(
    readonly host: ExecutorHost,
    readonly frameworkId: string,
    public info: ExecutorInfo,
    readonly containerId: string,
    readonly sandbox: string,
  ) {}

  get id(): string { return this.info.executor_id.value }

  /** Starts tasks (for custom executors: queues them until the executor subscribes). */
  abstract launch(tasks: TaskInfo[]): Promise<void>
  abstract kill(taskId: string, policy?: KillPolicy): void
  /** Kills every task and the executor; resolves once everything is down. */
  abstract shutdown(reason: string): Promise<void>
  /** After an agent restart: re-attach to what is still running. */
  abstract recover(): Promise<void>

  task(id: string): AgentTask | undefined { return this.tasks.get(id) }

  activeTasks(): AgentTask[] { return [...this.tasks.values()].filter(t => !t.terminal) }
}

/** Resolves a CommandInfo environment, including inline (VALUE) secrets; refuses references it cannot resolve. */
export function commandEnvironment(env: Environment | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of env?.variables ?? []) {
    if (v.type === 'SECRET') {
      if (v.secret?.type === 'VALUE' && v.secret.value) out[v.name] = Buffer.from(v.secret.value.data, 'base64').toString('utf8')
      else throw new Error(`Environment variable '${v.name}' references secret '${v.secret ? referencePath(v.secret) ?? '?' : '?'}', which the master did not resolve (docs/security-secrets.md)`)
    } else {
      out[v.name] = v.value ?? ''
    }
  }
  return out
}

/** Kill grace period: the KILL call's policy, else the task's, else 3 s (Mesos' command executor default). */
export function graceMs(task: TaskInfo, override?: KillPolicy): number {
  const ns = override?.grace_period?.nanoseconds ?? task.kill_policy?.grace_period?.nanoseconds
  return ns === undefined ? 3000 : Math.max(0, ns / 1e6)
}

export type { ExecutorInfo }

/**
 * MESOS_EXECUTOR_AUTHENTICATION_TOKEN for an executor's processes when the agent issues tokens (upstream
 * Slave::launchExecutor): the executor API and the agent's container calls accept it for this executor's own
 * containers only (src/agent/authorization.ts).
 */
export function tokenEnv(exec: AgentExecutorBase): Record<string, string> {
  const token = exec.host.executorToken?.(exec)
  return token ? { MESOS_EXECUTOR_AUTHENTICATION_TOKEN: token } : {}
}

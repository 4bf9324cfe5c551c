// The built-in default executor for LAUNCH_GROUP (Mesos' mesos-default-executor semantics), run inside the agent:
// every task of the group is a nested container under the executor's container (sharing its sandbox and, with the
// linux launcher, its namespaces). When a task fails or is killed, the rest of the group is killed; a KILL of any
// task kills the whole group; the executor ends when no task is left.

import { handSandboxTo } from '../containerizer/user.ts'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { newUuid } from '../../core/ids.ts'
import { logger } from '../../core/log.ts'
import { Resources } from '../../core/resources.ts'
import type { KillPolicy, TaskInfo } from '../../core/v1/messages.ts'
import { hasCapability } from '../../core/v1/messages.ts'
import { initFromLabels } from '../containerizer/container-init.ts'
import { commandArgv, type Termination } from '../containerizer/launcher.ts'
import { TaskChecks, withCheckStatus } from '../checks/task-checks.ts'
import { withSecrets } from '../secret-values.ts'
import { AgentExecutorBase, AgentTask, commandEnvironment, graceMs, tokenEnv } from './executor.ts'
import { killedDuringLaunchStatus, launchFailedStatus, processEndedStatus, type ExecutorStatus } from './terminal-status.ts'

const log = logger('default-executor')

export class DefaultExecutor extends AgentExecutorBase {
  readonly kind = 'default' as const
  private groupKilling = false
  /** Abort the launches in progress (image pulls) of the group's container and of each task's, when killed. */
  private readonly launching = new Map<string, AbortController>()
  /** Each running task's check and health check, by task id (docs/health-checks.md). */
  private readonly checks = new Map<string, TaskChecks>()
  /**
   * A task was killed for failing its health check: every task's terminal status then says `healthy: false`, as
   * upstream's default executor does (a flag of the executor, MESOS-8543).
   */
  private unhealthy = false

  async launch(infos: TaskInfo[]) {
    this.state = 'running'
    if (this.host.containerizer.prepareGroup) {
      try {
        const group = new AbortController()
        this.launching.set(this.containerId, group)
        try {
          await this.host.containerizer.prepareGroup(this.containerId, this.sandbox, Resources.of(this.info.resources), this.info.container, group.signal)
        } finally {
          this.launching.delete(this.containerId)
        }
      } catch (err) {
        for (const info of infos) {
          const task = new AgentTask(this.frameworkId, this.id, info)
          this.tasks.set(task.id, task)
          this.update(task, this.groupKilling ? killedDuringLaunchStatus() : launchFailedStatus(`Failed to launch executor container: ${(err as Error).message}`))
        }
        this.finishIfDone()
        return
      }
    }
    await Promise.all(infos.map(info => this.launchOne(info)))
  }

  private async launchOne(info: TaskInfo) {
    const task = new AgentTask(this.frameworkId, this.id, info)
    task.containerId = newUuid()
    this.tasks.set(task.id, task)
    const cp = this.host.checkpoint
    // Each task has a sandbox of its own inside the executor's (Mesos puts nested sandboxes there too); the
    // executor's sandbox is reachable with a SANDBOX_PATH volume of type PARENT.
    const sandbox = join(this.sandbox, 'tasks', task.id)
    mkdirSync(sandbox, { recursive: true })
    handSandboxTo(sandbox, info.command?.user ?? this.host.frameworkInfo(this.frameworkId).user, this.host.flags.switch_user)
    cp.putTask({ frameworkId: this.frameworkId, taskId: task.id, executorId: this.id, info, state: task.state, containerId: task.containerId, killRequested: false })
    if (this.groupKilling) {
      task.killRequested = true
      this.update(task, { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message: 'Task group was killed before this task started' })
      this.finishIfDone()
      return
    }
    this.update(task, { state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR' })
    try {
      cp.putContainer({ containerId: task.containerId, parent: this.containerId, frameworkId: this.frameworkId, executorId: this.id, taskId: task.id, launcher: this.host.containerizer.launcherName, data: {}, state: 'launching' })
      const launching = new AbortController()
      this.launching.set(task.containerId, launching)
      // The TaskInfo with its secret values, for this launch only (docs/security-secrets.md); `info` is redacted.
      const full = withSecrets(info)
      const launched = await this.host.containerizer.launch({
        signal: launching.signal,
        containerId: task.containerId,
        parentId: this.containerId,
        sandbox,
        argv: commandArgv(info.command ?? {}),
        command: full.command,
        env: { ...this.host.executorEnv(this), ...tokenEnv(this), MESOS_TASK_ID: task.id, ...commandEnvironment(full.command?.environment) },
        user: info.command?.user ?? this.host.frameworkInfo(this.frameworkId).user,
        resources: Resources.of(info.resources),
        container: full.container,
        tty: !!info.container?.tty_info,
        stdin: !!info.container?.tty_info,
        init: initFromLabels(info.labels),
      })
      task.pid = launched.pid
      cp.putContainer({ containerId: task.containerId, parent: this.containerId, frameworkId: this.frameworkId, executorId: this.id, taskId: task.id, launcher: this.host.containerizer.launcherName, data: launched.data, state: 'running' })
      task.containerStatus = { ...this.host.containerStatus(task.containerId, launched.pid), container_id: { value: task.containerId, parent: { value: this.containerId } } }
      this.update(task, { state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' })
      this.startChecks(task)
    } catch (err) {
      this.launching.delete(task.containerId)
      this.update(task, task.killRequested ? killedDuringLaunchStatus() : launchFailedStatus(`Failed to launch container: ${(err as Error).message}`))
      cp.removeContainer(task.containerId)
      this.killGroup('a task of the group failed to launch')
      this.finishIfDone()
      return
    }
    this.launching.delete(task.containerId)
    if (task.killRequested) void this.host.containerizer.kill(task.containerId, 'SIGKILL')
    this.watch(task)
  }

  private update(task: AgentTask, status: ExecutorStatus) {
    // Once the task's container runs, every update carries its status (network infos, pid), not only TASK_RUNNING
    // (upstream Slave::statusUpdate merges it into each update), with the container id's `parent`: the task's
    // container is nested in the executor's.
    const merged = status.container_status || !task.containerStatus ? status : { ...status, container_status: task.containerStatus }
    this.host.update(this, task, withCheckStatus(task, merged))
  }

  private startChecks(task: AgentTask) {
    const checks = new TaskChecks(this, task, () => {
      this.unhealthy = true
      this.killGroup(`task ${task.id} failed its health check`)
    })
    this.checks.set(task.id, checks)
    checks.start()
  }

  private watch(task: AgentTask) {
    void this.host.containerizer.wait(task.containerId!).then(t => this.exited(task, t))
  }

  private async exited(task: AgentTask, t: Termination) {
    clearTimeout(task.killTimer)
    this.checks.get(task.id)?.stop()
    if (!task.terminal) {
      const end = processEndedStatus(t, task.killRequested)
      if (this.unhealthy) end.healthy = false
      this.update(task, end)
      if (end.state === 'TASK_FAILED' || end.state === 'TASK_KILLED') this.killGroup(`task ${task.id} ${end.state === 'TASK_FAILED' ? 'failed' : 'was killed'}`)
    }
    this.host.containerEnded(task.containerId!)
    await this.host.containerizer.destroy(task.containerId!).catch(() => {})
    this.host.checkpoint.removeContainer(task.containerId!)
    this.finishIfDone()
  }

  private killGroup(why: string, policy?: KillPolicy) {
    if (this.groupKilling) return
    this.groupKilling = true
    log.info(`Killing task group of executor ${this.id} (framework ${this.frameworkId}): ${why}`)
    this.launching.get(this.containerId)?.abort(new Error(`task group of executor ${this.id} killed: ${why}`))
    for (const t of this.tasks.values()) this.killTask(t, policy)
  }

  private killTask(task: AgentTask, policy?: KillPolicy) {
    if (task.terminal || task.killRequested) return
    task.killRequested = true
    this.host.checkpoint.setKillRequested(this.frameworkId, task.id)
    this.checks.get(task.id)?.stop()
    if (hasCapability(this.host.frameworkInfo(this.frameworkId), 'TASK_KILLING_STATE')) {
      this.update(task, { state: 'TASK_KILLING', source: 'SOURCE_EXECUTOR' })
    }
    if (task.pid === undefined) {
      // Launch in progress: an image pull is abandoned now; a container created meanwhile is killed on completion.
      this.launching.get(task.containerId!)?.abort(new Error(`task ${task.id} was killed`))
      return
    }
    const grace = graceMs(task.info, policy)
    void this.host.containerizer.kill(task.containerId!, grace === 0 ? 'SIGKILL' : 'SIGTERM')
    if (grace > 0) task.killTimer = setTimeout(() => void this.host.containerizer.kill(task.containerId!, 'SIGKILL'), grace)
  }

  /** KILL of any task kills the whole group (default executor semantics). */
  kill(_taskId: string, policy?: KillPolicy) {
    this.killGroup(`kill of task ${_taskId} requested`, policy)
  }

  private finishIfDone() {
    if (this.state === 'terminated' || this.activeTasks().length) return
    this.state = 'terminated'
    void (async () => {
      await this.host.containerizer.destroyGroup?.(this.containerId).catch(() => {})
      this.host.executorTerminated(this)
    })()
  }

  async shutdown(reason: string) {
    this.killGroup(reason, { grace_period: { nanoseconds: 0 } })
    await Promise.all([...this.tasks.values()].filter(t => t.containerId).map(t => this.host.containerizer.wait(t.containerId!)))
  }

  async recover() {
    this.state = 'running'
    for (const task of this.tasks.values()) {
      if (task.terminal || !task.containerId) continue
      if (task.killRequested) void this.host.containerizer.kill(task.containerId, 'SIGKILL')
      // Checks start over after an agent restart: a new delay and grace period.
      else if (task.state === 'TASK_RUNNING') this.startChecks(task)
      this.watch(task)
    }
    this.finishIfDone()
  }
}

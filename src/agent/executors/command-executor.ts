// The built-in command executor (Mesos' mesos-executor semantics), run inside the agent: the task's process is the
// container. TASK_STARTING → TASK_RUNNING → TASK_FINISHED / TASK_FAILED / TASK_KILLED; kills send SIGTERM, then
// SIGKILL after the grace period; a task past max_completion_time fails with REASON_MAX_COMPLETION_TIME_REACHED.

import { logger } from '../../core/log.ts'
import { Resources } from '../../core/resources.ts'
import type { KillPolicy, TaskInfo } from '../../core/v1/messages.ts'
import { hasCapability } from '../../core/v1/messages.ts'
import { initFromLabels } from '../containerizer/container-init.ts'
import { commandArgv, type Termination } from '../containerizer/launcher.ts'
import { TaskChecks, withCheckStatus } from '../checks/task-checks.ts'
import { withSecrets } from '../secret-values.ts'
import { AgentExecutorBase, AgentTask, commandEnvironment, graceMs, tokenEnv } from './executor.ts'
import { killedDuringLaunchStatus, launchFailedStatus, maxCompletionTimeStatus, processEndedStatus, type ExecutorStatus } from './terminal-status.ts'

const log = logger('command-executor')

export class CommandExecutor extends AgentExecutorBase {
  readonly kind = 'command' as const
  private deadline?: ReturnType<typeof setTimeout>
  private maxTimeReached = false
  /** Aborts the container launch (its image pull) when the task is killed before it runs. */
  private launching?: AbortController
  /** The task's check and health check (docs/health-checks.md), while it runs. */
  private checks?: TaskChecks

  async launch(tasks: TaskInfo[]) {
    const info = tasks[0]!
    const task = this.tasks.get(info.task_id.value) ?? new AgentTask(this.frameworkId, this.id, info)
    task.containerId = this.containerId
    this.tasks.set(task.id, task)
    this.state = 'running'
    this.host.checkpoint.putTask({ frameworkId: this.frameworkId, taskId: task.id, executorId: this.id, info, state: task.state, containerId: this.containerId, killRequested: false })
    this.update(task, { state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR' })
    const user = info.command?.user ?? this.host.frameworkInfo(this.frameworkId).user
    let launched
    // The TaskInfo with its secret values, for this launch only (docs/security-secrets.md); `info` is redacted.
    const full = withSecrets(info)
    try {
      const env = { ...this.host.executorEnv(this), ...tokenEnv(this), ...commandEnvironment(full.command?.environment) }
      this.host.checkpoint.putContainer({ containerId: this.containerId, frameworkId: this.frameworkId, executorId: this.id, taskId: task.id, launcher: this.host.containerizer.launcherName, data: {}, state: 'launching' })
      this.launching = new AbortController()
      launched = await this.host.containerizer.launch({
        signal: this.launching.signal,
        containerId: this.containerId,
        sandbox: this.sandbox,
        argv: commandArgv(info.command ?? {}),
        command: full.command,
        env,
        user,
        resources: Resources.of(info.resources),
        container: full.container,
        tty: !!info.container?.tty_info,
        stdin: !!info.container?.tty_info,
        init: initFromLabels(info.labels),
      })
    } catch (err) {
      const message = `Failed to launch container: ${(err as Error).message}`
      log.warn(`Task ${task.id} of framework ${this.frameworkId}: ${message}`)
      this.update(task, task.killRequested ? killedDuringLaunchStatus() : launchFailedStatus(message))
      await this.host.containerizer.destroy(this.containerId).catch(() => {})
      this.host.checkpoint.removeContainer(this.containerId)
      this.state = 'terminated'
      this.host.executorTerminated(this)
      return
    }
    task.pid = launched.pid
    this.host.checkpoint.putContainer({ containerId: this.containerId, frameworkId: this.frameworkId, executorId: this.id, taskId: task.id, launcher: this.host.containerizer.launcherName, data: launched.data, state: 'running' })
    if (task.killRequested) {
      // A kill arrived while the container was being created.
      void this.host.containerizer.kill(this.containerId, 'SIGKILL')
    } else {
      task.containerStatus = this.host.containerStatus(this.containerId, launched.pid)
      this.update(task, { state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' })
      this.startChecks(task)
    }
    this.armDeadline(task)
    this.watch(task)
  }

  private armDeadline(task: AgentTask) {
    const ns = task.info.max_completion_time?.nanoseconds
    if (ns === undefined) return
    const remaining = Math.max(0, ns / 1e6 - (Date.now() - task.launchedAt))
    this.deadline = setTimeout(() => {
      this.maxTimeReached = true
      void this.host.containerizer.kill(this.containerId, 'SIGKILL')
    }, remaining)
  }

  private update(task: AgentTask, status: ExecutorStatus) {
    // Once the container runs, every update carries its status (network infos, pid), not only TASK_RUNNING:
    // upstream Slave::statusUpdate merges the container's status into each update an executor sends.
    const merged = status.container_status || !task.containerStatus ? status : { ...status, container_status: task.containerStatus }
    this.host.update(this, task, withCheckStatus(task, merged))
  }

  private startChecks(task: AgentTask) {
    this.checks = new TaskChecks(this, task, () => this.kill(task.id))
    this.checks.start()
  }

  private watch(task: AgentTask) {
    void this.host.containerizer.wait(this.containerId).then(t => this.exited(task, t))
  }

  private async exited(task: AgentTask, t: Termination) {
    clearTimeout(this.deadline)
    clearTimeout(task.killTimer)
    this.checks?.stop()
    if (!task.terminal) {
      const maxTime = this.maxTimeReached && !task.killRequested
      const end = maxTime ? maxCompletionTimeStatus() : processEndedStatus(t, task.killRequested)
      // Killed for failing its health check: the terminal status says so (upstream sets healthy, no reason).
      if (this.checks?.killedByHealthCheck && task.killRequested) end.healthy = false
      this.update(task, end)
    }
    await this.host.containerizer.destroy(this.containerId).catch(err => log.warn(`Failed to destroy container ${this.containerId}: ${(err as Error).message}`))
    this.host.checkpoint.removeContainer(this.containerId)
    this.state = 'terminated'
    this.host.executorTerminated(this, t)
  }

  kill(taskId: string, policy?: KillPolicy) {
    const task = this.tasks.get(taskId)
    if (!task || task.terminal) return
    const grace = graceMs(task.info, policy)
    if (task.killRequested) {
      // A repeated kill can only shorten the grace period.
      if (grace === 0) void this.host.containerizer.kill(this.containerId, 'SIGKILL')
      return
    }
    task.killRequested = true
    this.host.checkpoint.setKillRequested(this.frameworkId, taskId)
    this.checks?.stop()
    if (hasCapability(this.host.frameworkInfo(this.frameworkId), 'TASK_KILLING_STATE')) {
      this.update(task, { state: 'TASK_KILLING', source: 'SOURCE_EXECUTOR' })
    }
    if (task.pid === undefined) {
      // Launch in progress: an image pull is abandoned now; a container created meanwhile is killed on completion.
      this.launching?.abort(new Error(`task ${taskId} was killed`))
      return
    }
    void this.host.containerizer.kill(this.containerId, grace === 0 ? 'SIGKILL' : 'SIGTERM')
    if (grace > 0) task.killTimer = setTimeout(() => void this.host.containerizer.kill(this.containerId, 'SIGKILL'), grace)
  }

  async shutdown(reason: string) {
    log.info(`Shutting down command executor ${this.id} of framework ${this.frameworkId}: ${reason}`)
    const task = [...this.tasks.values()][0]
    this.checks?.stop()
    if (task && !task.terminal) {
      task.killRequested = true
      this.host.checkpoint.setKillRequested(this.frameworkId, task.id)
    }
    this.launching?.abort(new Error(`executor ${this.id} is shutting down: ${reason}`))
    await this.host.containerizer.kill(this.containerId, 'SIGKILL')
    await this.host.containerizer.wait(this.containerId)
  }

  /** Re-adopted after an agent restart: keep watching; an exit while the agent was down is reported now. */
  async recover() {
    this.state = 'running'
    const task = [...this.tasks.values()][0]
    if (!task) return
    if (task.killRequested) {
      // The kill was asked before the restart; make sure it happens.
      void this.host.containerizer.kill(this.containerId, 'SIGKILL')
    } else if (task.state === 'TASK_RUNNING') {
      // Checks start over after an agent restart: a new delay and grace period.
      this.startChecks(task)
    }
    this.armDeadline(task)
    this.watch(task)
  }
}

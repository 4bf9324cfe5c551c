// A framework's own executor (TaskInfo.executor with a command): launched as a container, it subscribes to
// POST /api/v1/executor on the agent and speaks the v1 executor API (Mesos' include/mesos/v1/executor/executor.proto).
// Tasks wait in a queue until the executor subscribes; updates it sends go through the status update manager and are
// acknowledged back to it (ACKNOWLEDGED) once checkpointed.

import { EventStream } from '../../core/http/event-stream.ts'
import type { Codec } from '../../core/http/negotiate.ts'
import { MEDIA } from '../../core/http/negotiate.ts'
import { logger } from '../../core/log.ts'
import { Resources } from '../../core/resources.ts'
import { encodeBody } from '../../core/v1/codec.ts'
import type { KillPolicy, TaskInfo, TaskStatus } from '../../core/v1/messages.ts'
import { commandArgv, type Termination } from '../containerizer/launcher.ts'
import { withSecrets } from '../secret-values.ts'
import { AgentExecutorBase, AgentTask, commandEnvironment, tokenEnv } from './executor.ts'
import { executorEndedStatus, killedDuringLaunchStatus, launchFailedStatus } from './terminal-status.ts'

const log = logger('custom-executor')

export class CustomExecutor extends AgentExecutorBase {
  readonly kind = 'custom' as const
  private stream?: EventStream
  private codec: Codec = 'json'
  private readonly queued: TaskInfo[] = []
  private registrationTimer?: ReturnType<typeof setTimeout>
  private shutdownTimer?: ReturnType<typeof setTimeout>
  private launched = false
  /** Aborts the executor's container launch (its image pull) once nothing is left for it to run. */
  private launching?: AbortController
  pid?: number

  async launch(tasks: TaskInfo[]) {
    for (const info of tasks) {
      const task = new AgentTask(this.frameworkId, this.id, info)
      this.tasks.set(task.id, task)
      this.host.checkpoint.putTask({ frameworkId: this.frameworkId, taskId: task.id, executorId: this.id, info, state: task.state, containerId: this.containerId, killRequested: false })
      if (this.stream) this.sendLaunch(info)
      else this.queued.push(info)
    }
    if (this.launched) return
    this.launched = true
    // The executor's own secrets (its command's environment, its volumes) are used for this launch only.
    const fullInfo = withSecrets(this.info)
    const cmd = fullInfo.command ?? {}
    try {
      this.host.checkpoint.putContainer({ containerId: this.containerId, frameworkId: this.frameworkId, executorId: this.id, launcher: this.host.containerizer.launcherName, data: {}, state: 'launching' })
      this.launching = new AbortController()
      const l = await this.host.containerizer.launch({
        signal: this.launching.signal,
        containerId: this.containerId,
        sandbox: this.sandbox,
        argv: commandArgv(cmd),
        command: cmd,
        env: { ...this.host.executorEnv(this), ...tokenEnv(this), ...commandEnvironment(cmd.environment) },
        user: cmd.user ?? this.host.frameworkInfo(this.frameworkId).user,
        resources: Resources.of(this.info.resources).plus(Resources.of(tasks.flatMap(t => t.resources ?? []))),
        container: fullInfo.container,
      })
      this.pid = l.pid
      this.host.checkpoint.putContainer({ containerId: this.containerId, frameworkId: this.frameworkId, executorId: this.id, launcher: this.host.containerizer.launcherName, data: l.data, state: 'running' })
    } catch (err) {
      const failed = launchFailedStatus(`Failed to launch executor container: ${(err as Error).message}`)
      for (const t of this.tasks.values()) {
        if (!t.terminal) this.host.update(this, t, t.killRequested ? killedDuringLaunchStatus() : failed)
      }
      this.state = 'terminated'
      this.host.checkpoint.removeContainer(this.containerId)
      this.host.executorTerminated(this)
      return
    }
    this.registrationTimer = setTimeout(() => {
      if (this.state !== 'registering') return
      log.warn(`Executor ${this.id} of framework ${this.frameworkId} did not subscribe in time; destroying it`)
      this.terminate('REASON_EXECUTOR_REGISTRATION_TIMEOUT', 'Executor did not register within the registration timeout')
    }, this.host.flags.executor_registration_timeout)
    this.watch()
  }

  private watch() {
    void this.host.containerizer.wait(this.containerId).then(t => this.exited(t))
  }

  private async exited(t: Termination) {
    clearTimeout(this.registrationTimer)
    clearTimeout(this.shutdownTimer)
    for (const task of this.tasks.values()) {
      if (task.terminal) continue
      this.host.update(this, task, executorEndedStatus(t, task.killRequested))
    }
    this.stream?.close()
    this.stream = undefined
    await this.host.containerizer.destroy(this.containerId).catch(() => {})
    this.host.checkpoint.removeContainer(this.containerId)
    this.state = 'terminated'
    this.host.executorTerminated(this, t)
  }

  private terminate(reason: string, message: string) {
    for (const task of this.tasks.values()) {
      if (!task.terminal) this.host.update(this, task, { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason, message })
    }
    void this.host.containerizer.kill(this.containerId, 'SIGKILL')
  }

  private send(event: Record<string, unknown>) {
    this.stream?.send(encodeBody('mesos.v1.executor.Event', this.codec, event))
  }

  /**
   * The framework's executor gets its task with the secret values in it, as a Mesos executor gets its TaskInfo
   * (it is the framework's code, and launching the task is its job). A task resent after an agent restart comes from
   * the checkpoint, which holds none: docs/security-secrets.md.
   */
  private sendLaunch(info: TaskInfo) { this.send({ type: 'LAUNCH', launch: { task: withSecrets(info) } }) }

  /** SUBSCRIBE from the executor process: (re)attach its event stream and hand over queued tasks. */
  subscribe(codec: Codec, agentInfo: unknown, unackedTasks: TaskInfo[]): Response {
    clearTimeout(this.registrationTimer)
    this.stream?.close()
    this.codec = codec
    const stream = new EventStream({ 'Content-Type': MEDIA[codec] })
    this.stream = stream
    this.state = this.state === 'terminating' ? 'terminating' : 'running'
    stream.closed.then(() => { if (this.stream === stream) { this.stream = undefined; log.info(`Executor ${this.id} of framework ${this.frameworkId} disconnected`) } })
    this.send({ type: 'SUBSCRIBED', subscribed: { executor_info: this.info, framework_info: this.host.frameworkInfo(this.frameworkId), agent_info: agentInfo, container_id: { value: this.containerId } } })
    // Tasks the executor reports but the agent lost (agent restarted before checkpointing) are re-added.
    for (const info of unackedTasks) {
      if (!this.tasks.has(info.task_id.value)) this.tasks.set(info.task_id.value, new AgentTask(this.frameworkId, this.id, info))
    }
    for (const info of this.queued.splice(0)) this.sendLaunch(info)
    if (this.state === 'terminating') this.send({ type: 'SHUTDOWN' })
    return stream.response
  }

  /** UPDATE from the executor; returns an error message for a 400 when the update is invalid. */
  statusFromExecutor(status: TaskStatus): string | undefined {
    const task = this.tasks.get(status.task_id.value)
    if (!task) return `Task ${status.task_id.value} is unknown to executor ${this.id}`
    if (status.state === 'TASK_STAGING') return 'Executors must not send TASK_STAGING'
    if (!status.uuid) return "Status update must have 'uuid' set"
    if (status.executor_id && status.executor_id.value !== this.id) return 'Status update has a mismatched executor id'
    // The executor's container status (network infos, pid) is merged into every update it sends, as upstream's
    // Slave::statusUpdate does; what the executor set itself (its container id with a parent, say) wins.
    const ours = this.pid !== undefined ? this.host.containerStatus(this.containerId, this.pid) : undefined
    const container_status = ours ? { ...ours, ...status.container_status } : status.container_status
    this.host.update(this, task, { ...status, source: 'SOURCE_EXECUTOR', executor_id: { value: this.id }, ...(container_status ? { container_status } : {}) })
    this.send({ type: 'ACKNOWLEDGED', acknowledged: { task_id: status.task_id, uuid: status.uuid } })
    return undefined
  }

  message(data: string) { this.send({ type: 'MESSAGE', message: { data } }) }

  kill(taskId: string, policy?: KillPolicy) {
    const task = this.tasks.get(taskId)
    if (!task || task.terminal) return
    const queuedIdx = this.queued.findIndex(t => t.task_id.value === taskId)
    if (queuedIdx >= 0) {
      this.queued.splice(queuedIdx, 1)
      this.host.update(this, task, { state: 'TASK_KILLED', source: 'SOURCE_AGENT', message: 'Killed before delivery to the executor' })
      // Nothing left for an executor still being launched to run: its image pull is abandoned.
      if (this.pid === undefined && !this.activeTasks().length) this.launching?.abort(new Error(`every task of executor ${this.id} was killed`))
      return
    }
    task.killRequested = true
    this.host.checkpoint.setKillRequested(this.frameworkId, taskId)
    const kill: Record<string, unknown> = { task_id: task.info.task_id }
    if (policy) kill.kill_policy = policy
    this.send({ type: 'KILL', kill })
  }

  async shutdown(reason: string) {
    log.info(`Shutting down executor ${this.id} of framework ${this.frameworkId}: ${reason}`)
    this.state = 'terminating'
    for (const t of this.tasks.values()) { if (!t.terminal) { t.killRequested = true; this.host.checkpoint.setKillRequested(this.frameworkId, t.id) } }
    this.launching?.abort(new Error(`executor ${this.id} is shutting down: ${reason}`))
    this.send({ type: 'SHUTDOWN' })
    const grace = this.info.shutdown_grace_period?.nanoseconds !== undefined ? this.info.shutdown_grace_period.nanoseconds / 1e6 : this.host.flags.executor_shutdown_grace_period
    this.shutdownTimer = setTimeout(() => void this.host.containerizer.kill(this.containerId, 'SIGKILL'), this.stream ? grace : 0)
    await this.host.containerizer.wait(this.containerId)
  }

  /** After an agent restart the executor process is still running; it re-subscribes on its own. */
  async recover() {
    this.launched = true
    this.state = 'registering'
    this.registrationTimer = setTimeout(() => {
      if (this.state === 'registering') this.terminate('REASON_EXECUTOR_REREGISTRATION_TIMEOUT', 'Executor did not re-register after the agent restarted')
    }, Math.min(this.host.flags.executor_reregistration_timeout, 15_000) + 5000)
    this.watch()
  }
}

// The checks of one running task, as the built-in executors run them (upstream src/launcher/executor.cpp and
// default_executor.cpp: taskCheckUpdated, taskHealthUpdated). Each update repeats the task's last status (state
// TASK_RUNNING, its container status, its last `healthy` or `check_status`) with a new uuid and:
// - a check whose result changed: `check_status` and reason REASON_TASK_CHECK_STATUS_UPDATED;
// - a health probe worth reporting (check-results.ts, HealthTracker): `healthy` and reason
//   REASON_TASK_HEALTH_CHECK_STATUS_UPDATED; the failure that reaches `consecutive_failures` also kills the task,
//   whose terminal status then carries `healthy: false` (the executor adds it, see `killedByHealthCheck`).
// Nothing is sent once the task is being killed or has ended. docs/health-checks.md.

import { logger } from '../../core/log.ts'
import type { TaskStatus } from '../../core/v1/messages.ts'
import type { AgentExecutorBase, AgentTask } from '../executors/executor.ts'
import type { ExecutorStatus } from '../executors/terminal-status.ts'
import { checkProbe, checkTiming, healthConsecutiveFailures, healthGraceMs, healthProbe, healthTiming, type CheckInfo, type HealthCheck, type ProbeSpec } from './check-types.ts'
import { CheckStatusTracker, emptyCheckStatus, HealthTracker, type ProbeOutcome } from './check-results.ts'
import { ProbeLoop, realClock, type Clock } from './probe-loop.ts'
import { commandProbe, networkProbe } from './probes.ts'

const log = logger('checks')

/**
 * Every status the executor itself builds for a task with a check carries its check_status, empty until a result
 * came (upstream createTaskStatus); statuses from the agent (a failed launch, a container limitation) do not.
 */
export function withCheckStatus<S extends ExecutorStatus>(task: AgentTask, status: S): S {
  const check = task.info.check as CheckInfo | undefined
  if (!check?.type || status.check_status || status.source !== 'SOURCE_EXECUTOR') return status
  return { ...status, check_status: emptyCheckStatus(check.type as 'COMMAND' | 'HTTP' | 'TCP') as unknown as Record<string, unknown> }
}

export class TaskChecks {
  private readonly loops: ProbeLoop[] = []
  /** The task was killed because its health check failed too often: its terminal status says `healthy: false`. */
  killedByHealthCheck = false

  constructor(
    private readonly exec: AgentExecutorBase,
    private readonly task: AgentTask,
    /** Kills the task (the executor's own kill path, with its TASK_KILLING and grace period). */
    private readonly killTask: () => void,
    private readonly clock: Clock = realClock,
  ) {}

  /** Starts the task's check and health check, if it has them; call once the task is TASK_RUNNING. */
  start() {
    const check = this.task.info.check as CheckInfo | undefined
    if (check?.type) {
      const tracker = new CheckStatusTracker(check.type as 'COMMAND' | 'HTTP' | 'TCP')
      this.loop('check', checkProbe(check), checkTiming(check), o => {
        if (o.kind === 'error') log.warn(`${check.type} check for task '${this.task.id}' failed: ${o.message}`)
        const status = tracker.next(o)
        if (status) this.send({ reason: 'REASON_TASK_CHECK_STATUS_UPDATED', check_status: status as unknown as Record<string, unknown> })
      })
    }
    const health = this.task.info.health_check as HealthCheck | undefined
    if (health?.type) {
      const tracker = new HealthTracker({ graceMs: healthGraceMs(health), consecutiveFailures: healthConsecutiveFailures(health) }, this.clock.now())
      this.loop('health check', healthProbe(health), healthTiming(health), o => {
        const u = tracker.next(o, this.clock.now())
        if (!u) return
        if (!u.healthy) log.warn(`${health.type} health check for task '${this.task.id}' failed ${u.consecutiveFailures} times consecutively: ${u.reason}`)
        if (!this.send({ reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', healthy: u.healthy })) return
        if (u.killTask) {
          log.warn(`Killing task '${this.task.id}' of framework ${this.exec.frameworkId}: its health check failed ${u.consecutiveFailures} times consecutively`)
          this.killedByHealthCheck = true
          this.stop()
          this.killTask()
        }
      })
    }
  }

  stop() {
    for (const l of this.loops) l.stop()
  }

  private loop(what: string, spec: ProbeSpec, timing: ReturnType<typeof checkTiming>, onOutcome: (o: ProbeOutcome) => void) {
    const l = new ProbeLoop(timing, signal => this.probe(spec, signal), onOutcome, `${spec.type} ${what}`, this.clock)
    this.loops.push(l)
    l.start()
  }

  private probe(spec: ProbeSpec, signal: AbortSignal): Promise<ProbeOutcome> {
    const containerId = this.task.containerId ?? this.exec.containerId
    if (spec.type === 'COMMAND') {
      const user = this.task.info.command?.user ?? this.exec.host.frameworkInfo(this.exec.frameworkId).user
      return commandProbe(this.exec.host.containerizer, containerId, spec.command, this.exec.host.executorEnv(this.exec), user, signal)
    }
    return networkProbe(spec, this.task.pid, signal)
  }

  /** The task's last status again, with `extra`; false when the task is no longer running (nothing was sent). */
  private send(extra: Partial<TaskStatus>): boolean {
    const t = this.task
    if (t.terminal || t.killRequested || t.state !== 'TASK_RUNNING') return false
    const last = t.statuses.at(-1)
    const { task_id: _id, uuid: _uuid, timestamp: _ts, agent_id: _agent, executor_id: _exec, ...base } = last ?? { task_id: t.info.task_id, state: t.state }
    this.exec.host.update(this.exec, t, { ...base, state: 'TASK_RUNNING', ...extra })
    return true
  }
}

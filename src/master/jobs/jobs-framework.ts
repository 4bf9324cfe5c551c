// The jobs scheduler as a framework (builtin-frameworks/host.ts runs it): offers become task launches for the runs
// that want one (jobs-service.ts), status updates move runs along, reconciliation on every (re-)subscription asks
// the master about the tasks of active runs. Offers are suppressed while no run waits and revived when one does.

import { logger } from '../../core/log.ts'
import { exitCodeOf, waitStatusFromLabels } from '../../core/exit-status.ts'
import { currentUserName } from '../../core/posix-user.ts'
import type { FrameworkInfo, Offer, TaskInfo } from '../../core/v1/messages.ts'
import type { BuiltinFramework, FrameworkEvent, SchedulerDriver } from '../builtin-frameworks/host.ts'
import type { JobsService } from './jobs-service.ts'
import { meetsConstraints, remainderOf, takeResources } from './offer-match.ts'
import { buildJobTask, parseJobTaskId } from './task-info.ts'

const log = logger('jobs')

/** A week: the jobs' tasks keep running through a master outage this long (Metronome's default failover timeout). */
const FAILOVER_TIMEOUT_SECONDS = 7 * 24 * 3600
/** Declined offers come back after this long at the latest. */
const REFUSE_SECONDS = 5
/** How often the tasks of active runs are reconciled while subscribed. */
const RECONCILE_EVERY_MS = 5 * 60_000

export class JobsFramework implements BuiltinFramework {
  readonly name = 'jobs'
  private driver?: SchedulerDriver
  private suppressed = false
  private timer?: ReturnType<typeof setInterval>
  private subscribedAt = 0
  private lastReconcile = 0

  /**
   * `agentReregisterMs`: the master's --agent_reregister_timeout. After a master restart, reconciliation answers
   * TASK_LOST/TASK_UNKNOWN for tasks whose agents have not re-registered yet; within this time those answers are
   * not taken as the end of the task, after it they are (the agent is not coming back).
   */
  constructor(private readonly service: JobsService, private readonly principal: string | undefined, private readonly agentReregisterMs: number) {
    service.onWantsOffers = () => this.revive()
    service.killer = { kill: (taskId, agentId, grace) => this.kill(taskId, agentId, grace) }
    // Schedules and deadlines run whether or not the framework is subscribed: a run due while the stream is
    // re-subscribing waits for offers like any other.
    this.timer = setInterval(() => {
      try { service.tick() } catch (err) { log.error(`jobs tick failed: ${(err as Error).stack ?? err}`) }
      if (this.driver && Date.now() - this.lastReconcile >= RECONCILE_EVERY_MS) void this.reconcile(this.driver)
    }, 1000)
  }

  frameworkInfo(): FrameworkInfo {
    return {
      // Tasks run as the master's user unless a job names one (run.user), as `meso task run` does.
      user: currentUserName(),
      name: 'meso-jobs',
      checkpoint: true,
      failover_timeout: FAILOVER_TIMEOUT_SECONDS,
      capabilities: [{ type: 'GPU_RESOURCES' }],
      ...(this.principal ? { principal: this.principal } : {}),
    } as FrameworkInfo
  }

  async onSubscribed(driver: SchedulerDriver): Promise<void> {
    this.driver = driver
    this.suppressed = false
    this.subscribedAt = Date.now()
    await this.reconcile(driver)
    for (const t of this.service.tasksToKill()) this.kill(t.taskId, t.agentId, t.graceSeconds)
    if (!this.service.runsToLaunch().length) this.suppress()
  }

  private async reconcile(driver: SchedulerDriver) {
    this.lastReconcile = Date.now()
    const tasks = this.service.activeTasks()
    if (!tasks.length) return
    await driver.call('RECONCILE', { reconcile: { tasks: tasks.map(t => ({ task_id: { value: t.taskId }, ...(t.agentId ? { agent_id: { value: t.agentId } } : {}) })) } })
      .catch(err => log.warn(`jobs: reconciling ${tasks.length} task(s): ${(err as Error).message}`))
  }

  onDisconnected(): void { this.driver = undefined }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.driver = undefined
  }

  async onEvent(event: FrameworkEvent, driver: SchedulerDriver): Promise<void> {
    if (event.type === 'OFFERS') await this.onOffers(event.offers?.offers ?? [], driver)
    else if (event.type === 'UPDATE' && event.update) {
      const s = event.update.status
      const ids = parseJobTaskId(s.task_id.value)
      if (!ids) return
      const wait = waitStatusFromLabels(s.labels)
      const state = String(s.state)
      // An explicit reconciliation answers TASK_LOST/TASK_UNKNOWN for a task the master does not know yet (agents
      // re-registering after a master restart); those are not failures of the run while the agent may still come.
      if ((state === 'TASK_LOST' || state === 'TASK_UNKNOWN') && s.reason === 'REASON_RECONCILIATION' && Date.now() - this.subscribedAt < this.agentReregisterMs) {
        log.info(`jobs: task ${s.task_id.value} not known to the master yet (${state}); waiting for its agent`)
        return
      }
      this.service.taskStatus(ids.jobId, ids.runId, s.task_id.value, state, wait !== undefined ? exitCodeOf(wait) : undefined)
    }
  }

  private async onOffers(offers: Offer[], driver: SchedulerDriver) {
    const wanted = this.service.runsToLaunch()
    const taken = new Set<string>()
    for (const offer of offers) {
      const remaining = remainderOf(offer)
      const tasks: TaskInfo[] = []
      for (const w of wanted) {
        if (taken.has(w.run.id)) continue
        if (!meetsConstraints(offer, w.spec.run.placement.constraints)) continue
        const resources = takeResources(remaining, w.spec.run)
        if (!resources) continue
        const task = buildJobTask(w.spec.id, w.run.id, w.run.tasks.length + 1, offer.agent_id.value, w.spec.run, resources)
        tasks.push(task)
        taken.add(w.run.id)
        this.service.launched(w.spec.id, w.run.id, task.task_id.value, offer.agent_id.value)
      }
      if (tasks.length) {
        await driver.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters: { refuse_seconds: REFUSE_SECONDS } } })
          .catch(err => log.warn(`jobs: launching ${tasks.map(t => t.task_id.value).join(', ')}: ${(err as Error).message}`))
      } else {
        await driver.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: REFUSE_SECONDS } } }).catch(() => {})
      }
    }
    if (!this.service.runsToLaunch().length) this.suppress()
  }

  private revive() {
    if (!this.driver || !this.suppressed) return
    this.suppressed = false
    void this.driver.call('REVIVE').catch(err => log.warn(`jobs: REVIVE: ${(err as Error).message}`))
  }

  private suppress() {
    if (!this.driver || this.suppressed) return
    this.suppressed = true
    void this.driver.call('SUPPRESS').catch(err => { this.suppressed = false; log.warn(`jobs: SUPPRESS: ${(err as Error).message}`) })
  }

  private kill(taskId: string, agentId: string | undefined, graceSeconds?: number) {
    if (!this.driver) { log.warn(`jobs: cannot kill ${taskId} now: not subscribed (reconciliation will find it)`); return }
    void this.driver.call('KILL', {
      kill: { task_id: { value: taskId }, ...(agentId ? { agent_id: { value: agentId } } : {}), ...(graceSeconds !== undefined ? { kill_policy: { grace_period: { nanoseconds: Math.round(graceSeconds * 1e9) } } } : {}) },
    }).catch(err => log.warn(`jobs: killing ${taskId}: ${(err as Error).message}`))
  }
}

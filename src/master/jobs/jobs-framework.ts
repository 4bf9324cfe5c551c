// The jobs scheduler as a framework (builtin-frameworks/host.ts runs it): offers become task launches for the runs
// that want one (jobs-service.ts), status updates move runs along, reconciliation on every (re-)subscription asks
// the master about the tasks of active runs. Offers are suppressed while no run waits and revived when one does.

import { logger } from '../../core/log.ts'
import { exitCodeOf, waitStatusFromLabels } from '../../core/exit-status.ts'
import { currentUserName } from '../../core/posix-user.ts'
import type { FrameworkInfo, Offer, TaskInfo } from '../../core/v1/messages.ts'
import type { FrameworkEvent, SchedulerDriver } from '../builtin-frameworks/host.ts'
import { OfferDrivenFramework } from '../builtin-frameworks/offer-driven-framework.ts'
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

export class JobsFramework extends OfferDrivenFramework {
  readonly name = 'jobs'

  /**
   * `agentReregisterMs`: the master's --agent_reregister_timeout. After a master restart, reconciliation answers
   * TASK_LOST/TASK_UNKNOWN for tasks whose agents have not re-registered yet; within this time those answers are
   * not taken as the end of the task, after it they are (the agent is not coming back).
   */
  constructor(private readonly service: JobsService, private readonly principal: string | undefined, agentReregisterMs: number) {
    super({
      log, reconcileEveryMs: RECONCILE_EVERY_MS, refuseSeconds: REFUSE_SECONDS, agentReregisterMs,
      notYetKnownStates: ['TASK_LOST', 'TASK_UNKNOWN'], suppressWhenIdle: false, killLater: 'reconciliation will find it',
    })
    service.onWantsOffers = () => this.revive()
    service.killer = { kill: (taskId, agentId, grace) => this.kill(taskId, agentId, grace) }
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
    this.beginSubscription(driver)
    await this.reconcile(driver)
    this.resendKills()
    if (!this.wantsOffers()) this.suppress()
  }

  protected tick() { this.service.tick() }

  protected killsInFlight() { return this.service.tasksToKill() }

  protected wantsOffers() { return this.service.runsToLaunch().length > 0 }

  protected async reconcileTasks(driver: SchedulerDriver) {
    const tasks = this.service.activeTasks()
    if (!tasks.length) return
    await driver.call('RECONCILE', { reconcile: { tasks: tasks.map(t => ({ task_id: { value: t.taskId }, ...(t.agentId ? { agent_id: { value: t.agentId } } : {}) })) } })
      .catch(err => log.warn(`jobs: reconciling ${tasks.length} task(s): ${(err as Error).message}`))
  }

  async onEvent(event: FrameworkEvent, driver: SchedulerDriver): Promise<void> {
    if (event.type === 'OFFERS') await this.onOffers(event.offers?.offers ?? [], driver)
    else if (event.type === 'UPDATE' && event.update) {
      const s = event.update.status
      const ids = parseJobTaskId(s.task_id.value)
      if (!ids) return
      if (this.notKnownYet(s)) return
      const wait = waitStatusFromLabels(s.labels)
      this.service.taskStatus(ids.jobId, ids.runId, s.task_id.value, String(s.state), wait !== undefined ? exitCodeOf(wait) : undefined)
    }
  }

  private async onOffers(offers: Offer[], driver: SchedulerDriver) {
    // Every offer matched and its launches recorded (in one registrar transaction) before any answer goes out; the
    // answers then go out together rather than one round trip after another.
    const launches = this.service.batch(() => this.matchOffers(offers))
    await Promise.all(offers.map((offer, n) => {
      const tasks = launches[n]!
      return tasks.length ? this.accept(driver, offer, tasks) : this.decline(driver, offer)
    }))
    if (!this.wantsOffers()) this.suppress()
  }

  /** The tasks to launch from each offer, each run at most once, every launch recorded. */
  private matchOffers(offers: Offer[]): TaskInfo[][] {
    const wanted = this.service.runsToLaunch()
    const taken = new Set<string>()
    return offers.map(offer => {
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
      return tasks
    })
  }
}

// The services scheduler as a framework (builtin-frameworks/host.ts runs it, like the jobs scheduler): offers
// become launches for the apps that want tasks (service-manager.ts matches them and records why offers were
// declined), status updates move tasks along, and every (re-)subscription reconciles: explicitly for the tasks
// the state knows, implicitly to find tasks of ours it does not (killed). The tasks' health checks run in meso's
// executors; their `healthy` comes with the status updates. Offers are suppressed while no app waits.

import { logger } from '../../core/log.ts'
import { currentUserName } from '../../core/posix-user.ts'
import type { FrameworkInfo, Offer } from '../../core/v1/messages.ts'
import type { FrameworkEvent, SchedulerDriver } from '../builtin-frameworks/host.ts'
import { OfferDrivenFramework } from '../builtin-frameworks/offer-driven-framework.ts'
import type { ServiceManager } from './service-manager.ts'

const log = logger('services')

/** A week, as Marathon's default --failover_timeout: tasks keep running through a master outage this long. */
export const FAILOVER_TIMEOUT_SECONDS = 7 * 24 * 3600
/** Declined offers come back after this long at the latest (Marathon's --decline_offer_duration is 120 s; shorter
 * here so a waiting app sees a freed agent soon). */
const REFUSE_SECONDS = 5
/** How often the tasks are reconciled while subscribed (Marathon's --reconciliation_interval: 10 minutes). */
const RECONCILE_EVERY_MS = 10 * 60_000

export class ServicesFramework extends OfferDrivenFramework {
  readonly name = 'services'

  /** `agentReregisterMs`: the master's --agent_reregister_timeout (see jobs-framework.ts for why it matters). */
  constructor(private readonly manager: ServiceManager, private readonly principal: string | undefined, private readonly roles: () => string[], agentReregisterMs: number) {
    super({
      log, reconcileEveryMs: RECONCILE_EVERY_MS, refuseSeconds: REFUSE_SECONDS, agentReregisterMs,
      notYetKnownStates: ['TASK_LOST', 'TASK_UNKNOWN', 'TASK_UNREACHABLE'], suppressWhenIdle: true,
      killLater: 'it is killed again after the next subscription',
    })
    manager.onWantsOffers = () => this.revive()
    manager.killer = { kill: (taskId, agentId) => this.kill(taskId, agentId) }
  }

  protected tick() { this.manager.tick() }

  protected killsInFlight() { return this.manager.tasksBeingKilled().map(i => ({ taskId: i.taskId, agentId: i.agentId })) }

  protected wantsOffers() { return this.manager.wantsOffers() }

  frameworkInfo(): FrameworkInfo {
    return {
      user: currentUserName(),
      name: 'marathon',
      checkpoint: true,
      failover_timeout: FAILOVER_TIMEOUT_SECONDS,
      roles: this.roles(),
      capabilities: [{ type: 'MULTI_ROLE' }, { type: 'GPU_RESOURCES' }, { type: 'TASK_KILLING_STATE' }, { type: 'PARTITION_AWARE' }],
      ...(this.principal ? { principal: this.principal } : {}),
    } as FrameworkInfo
  }

  async onSubscribed(driver: SchedulerDriver): Promise<void> {
    this.beginSubscription(driver)
    this.subscribedRoles = this.roles().join(',')
    await this.reconcile(driver)
    this.resendKills()
  }

  protected async reconcileTasks(driver: SchedulerDriver) {
    const tasks = [...this.manager.instances.values()]
    const explicit = tasks.length
      ? driver.call('RECONCILE', { reconcile: { tasks: tasks.map(t => ({ task_id: { value: t.taskId }, agent_id: { value: t.agentId } })) } })
      : Promise.resolve()
    await explicit.catch(err => log.warn(`services: reconciling ${tasks.length} task(s): ${(err as Error).message}`))
    await driver.call('RECONCILE', { reconcile: { tasks: [] } }).catch(err => log.warn(`services: implicit reconciliation: ${(err as Error).message}`))
  }

  async onEvent(event: FrameworkEvent, driver: SchedulerDriver): Promise<void> {
    if (event.type === 'OFFERS') await this.onOffers(event.offers?.offers ?? [], driver)
    else if (event.type === 'UPDATE' && event.update) {
      const s = event.update.status
      if (this.notKnownYet(s)) return
      this.manager.taskStatus(s)
    }
  }

  private async onOffers(offers: Offer[], driver: SchedulerDriver) {
    // Every offer matched and its launches recorded (durably, in one transaction) before any answer goes out; the
    // answers then go out together rather than one round trip after another.
    // Resident apps' reservations (RESERVE, CREATE, DESTROY, UNRESERVE) go in the same ACCEPT as the launches.
    const answers = this.manager.answerOffers(offers, driver.frameworkId)
    await Promise.all(offers.map((offer, n) => {
      const { tasks, operations } = answers[n]!
      if (!operations.length) return driver.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: REFUSE_SECONDS } } }).catch(() => {})
      const what = tasks.length ? `launching ${tasks.map(t => t.task_id.value).join(', ')}` : `${operations.map(o => o.type).join(', ')} on agent ${offer.agent_id.value}`
      return driver.call('ACCEPT', { accept: { offer_ids: [offer.id], operations, filters: { refuse_seconds: REFUSE_SECONDS } } })
        .catch(err => log.warn(`services: ${what}: ${(err as Error).message}`))
    }))
    if (!this.manager.wantsOffers()) this.suppress()
  }

  /** The roles subscribed with; an app with another role changes them (UPDATE_FRAMEWORK). */
  private subscribedRoles = ''

  private updateRoles() {
    const roles = this.roles()
    const key = roles.join(',')
    if (!this.driver || key === this.subscribedRoles) return
    this.subscribedRoles = key
    const info = { ...this.frameworkInfo(), id: { value: this.driver.frameworkId } }
    void this.driver.call('UPDATE_FRAMEWORK', { update_framework: { framework_info: info } })
      .catch(err => { this.subscribedRoles = ''; log.warn(`services: UPDATE_FRAMEWORK to roles ${key}: ${(err as Error).message}`) })
  }

  protected override revive() {
    this.updateRoles()
    super.revive()
  }
}

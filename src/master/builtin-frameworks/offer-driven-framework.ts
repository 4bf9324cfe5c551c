// What the built-in frameworks (jobs/jobs-framework.ts, services/services-framework.ts) share around their own
// decisions: the subscription they are in (the driver while subscribed, when it began), a tick every second that
// also reconciles now and then, offers suppressed while nothing waits and revived when something does, declines,
// accepts and kills with the framework's name in the log, and the grace after a (re-)subscription in which a
// reconciliation answer that a task is lost or unknown is not taken as its end (its agent may still re-register with
// a restarted master). Kills the framework has asked for and seen no end of go out again on every
// (re-)subscription and every KILL_RETRY_MS, as Marathon's kill service retries (`--kill_retry_timeout`, 10 s): the
// master drops a kill for a task whose agent has not re-registered since it restarted, and nothing else would end a
// deployment or a stopped run waiting for that task. host.ts runs the subscription itself; a subclass says what to
// launch, reconcile and kill.

import type { Logger } from '../../core/log.ts'
import type { FrameworkInfo, Offer, TaskInfo, TaskStatus } from '../../core/v1/messages.ts'
import type { BuiltinFramework, FrameworkEvent, SchedulerDriver } from './host.ts'

/** How often kills without a terminal update go out again. */
export const KILL_RETRY_MS = 10_000

/** A kill the framework asked for whose task has not ended yet. */
export interface KillInFlight { taskId: string; agentId?: string; graceSeconds?: number }

export interface OfferDrivenOptions {
  log: Logger
  /** How often the tasks are reconciled while subscribed. */
  reconcileEveryMs: number
  /** The filter of every accept and decline: declined offers come back after this long at the latest. */
  refuseSeconds: number
  /** The master's --agent_reregister_timeout: how long after subscribing `notYetKnownStates` are not believed. */
  agentReregisterMs: number
  /** What an explicit reconciliation answers for a task whose agent has not re-registered yet. */
  notYetKnownStates: readonly string[]
  /** Suppress on every tick while nothing wants offers, not only after a round of offers. */
  suppressWhenIdle: boolean
  /** Said when a kill cannot go out for want of a subscription: what kills the task later. */
  killLater: string
}

export abstract class OfferDrivenFramework implements BuiltinFramework {
  abstract readonly name: string
  protected driver?: SchedulerDriver
  private suppressed = false
  private timer?: ReturnType<typeof setInterval>
  private subscribedAt = 0
  private lastReconcile = 0
  private lastKillResend = 0

  protected constructor(private readonly offerOpts: OfferDrivenOptions) {
    // Schedules and deadlines run whether or not the framework is subscribed: what falls due while the stream is
    // re-subscribing waits for offers like anything else.
    this.timer = setInterval(() => this.everySecond(Date.now()), 1000)
  }

  /** The timer's work as of `now` (tests call it with a later clock). */
  everySecond(now: number): void {
    try { this.tick() } catch (err) { this.offerOpts.log.error(`${this.name} tick failed: ${(err as Error).stack ?? err}`) }
    if (this.driver && now - this.lastReconcile >= this.offerOpts.reconcileEveryMs) void this.reconcile(this.driver)
    if (this.driver && now - this.lastKillResend >= KILL_RETRY_MS) this.resendKills()
    if (this.offerOpts.suppressWhenIdle && this.driver && !this.wantsOffers()) this.suppress()
  }

  abstract frameworkInfo(): FrameworkInfo
  abstract onSubscribed(driver: SchedulerDriver): Promise<void>
  abstract onEvent(event: FrameworkEvent, driver: SchedulerDriver): Promise<void>
  /** The framework's own work every second (schedules, deadlines, backoffs). */
  protected abstract tick(): void
  /** Whether anything waits for offers now. */
  protected abstract wantsOffers(): boolean
  /** Asks the master about the tasks the framework knows (RECONCILE); failures are logged, not thrown. */
  protected abstract reconcileTasks(driver: SchedulerDriver): Promise<void>
  /** The kills asked for whose tasks have not ended yet. */
  protected abstract killsInFlight(): KillInFlight[]

  get subscribed() { return this.driver !== undefined }

  /** Where every subscription starts: offers flow (until suppressed) and reconciliation answers get their grace. */
  protected beginSubscription(driver: SchedulerDriver): void {
    this.driver = driver
    this.suppressed = false
    this.subscribedAt = Date.now()
  }

  /** Every kill in flight, again: after a (re-)subscription the first may not have gone out or been dropped. */
  protected resendKills(): void {
    this.lastKillResend = Date.now()
    for (const k of this.killsInFlight()) this.kill(k.taskId, k.agentId, k.graceSeconds)
  }

  protected async reconcile(driver: SchedulerDriver): Promise<void> {
    this.lastReconcile = Date.now()
    await this.reconcileTasks(driver)
  }

  onDisconnected(): void { this.driver = undefined }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.driver = undefined
  }

  /** A reconciliation answer about a task whose agent may still re-register: logged, and not to be acted on. */
  protected notKnownYet(s: TaskStatus): boolean {
    const state = String(s.state)
    if (!this.offerOpts.notYetKnownStates.includes(state) || s.reason !== 'REASON_RECONCILIATION') return false
    if (Date.now() - this.subscribedAt >= this.offerOpts.agentReregisterMs) return false
    this.offerOpts.log.info(`${this.name}: task ${s.task_id.value} not known to the master yet (${state}); waiting for its agent`)
    return true
  }

  protected accept(driver: SchedulerDriver, offer: Offer, tasks: TaskInfo[]): Promise<void> {
    return driver.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }], filters: { refuse_seconds: this.offerOpts.refuseSeconds } } })
      .catch(err => this.offerOpts.log.warn(`${this.name}: launching ${tasks.map(t => t.task_id.value).join(', ')}: ${(err as Error).message}`))
  }

  /** A failed decline is not worth a word: the offer is rescinded or comes back after its filter anyway. */
  protected decline(driver: SchedulerDriver, offer: Offer): Promise<void> {
    return driver.call('DECLINE', { decline: { offer_ids: [offer.id], filters: { refuse_seconds: this.offerOpts.refuseSeconds } } }).catch(() => {})
  }

  protected revive(): void {
    if (!this.driver || !this.suppressed) return
    this.suppressed = false
    void this.driver.call('REVIVE').catch(err => this.offerOpts.log.warn(`${this.name}: REVIVE: ${(err as Error).message}`))
  }

  protected suppress(): void {
    if (!this.driver || this.suppressed) return
    this.suppressed = true
    void this.driver.call('SUPPRESS').catch(err => { this.suppressed = false; this.offerOpts.log.warn(`${this.name}: SUPPRESS: ${(err as Error).message}`) })
  }

  protected kill(taskId: string, agentId: string | undefined, graceSeconds?: number): void {
    if (!this.driver) { this.offerOpts.log.warn(`${this.name}: cannot kill ${taskId} now: not subscribed (${this.offerOpts.killLater})`); return }
    void this.driver.call('KILL', {
      kill: { task_id: { value: taskId }, ...(agentId ? { agent_id: { value: agentId } } : {}), ...(graceSeconds !== undefined ? { kill_policy: { grace_period: { nanoseconds: Math.round(graceSeconds * 1e9) } } } : {}) },
    }).catch(err => this.offerOpts.log.warn(`${this.name}: killing ${taskId}: ${(err as Error).message}`))
  }
}

// The services scheduler's state and operations: app definitions and their versions, the apps' tasks
// (instances), deployments, launch backoff and offer statistics, kept in the `services` namespace of the master's
// key-value area (builtin-frameworks/store.ts; ZooKeeper with --zk) and changed only here. The REST API
// (services-api.ts) calls the operations; the framework side (services-framework.ts) asks what to launch from
// an offer, reports task status updates and carries out kills; `tick` (every second) drives every app towards its
// definition (rollout.ts) and finishes deployments. The decisions are the pure modules'.
//
// Each operation that changes state writes it as one registrar transaction (the store's batch): a deployment of a
// thousand apps, the launches from one OFFERS event, a tick, a status update (and, from the framework host, a burst
// of them) each cost one fsync, durable before the operation returns.
//
// Keys: app/<id>, versions/<id> (version list, newest first), version/<id>/<version>, instance/<task id>,
// deployment/<id> (the plan), deployment-app/<id>/<app> (an affected app's original and target definitions),
// backoff/<id>, failure/<id> (last task failure), groups (explicitly created groups), reservation/<id> (a resident
// instance's reservation, resident.ts).

import { randomUUID } from 'node:crypto'
import { logger } from '../../core/log.ts'
import { reservationRole, type Resource } from '../../core/resources.ts'
import type { Offer, TaskInfo, TaskStatus } from '../../core/v1/messages.ts'
import type { NamespaceStore } from '../builtin-frameworks/store.ts'
import { isResident, parseApp, persistentVolumes, servicePorts, type AppDefinition } from './app-definition.ts'
import { afterFailure, NO_BACKOFF, RESET_AFTER_MS, type Backoff } from './backoff.ts'
import { placementOf, type Placement } from './constraints.ts'
import { affectedApps, currentStepIndex, planDeployment, rollbackOf, type Action, type Deployment } from './deployment.ts'
import type { ServiceEvents } from './event-stream.ts'
import { isHealthyAndReady, isRunning, TERMINAL_STATES, type Instance } from './instance.ts'
import { declineReasons, remainderOf, rolesKey, takeFromOffer, usableBy, type NoOfferMatchReason } from './offer-match.ts'
import { newOfferStats, recordUnused, recordUsed, type OfferStats } from './offer-stats.ts'
import { appIdOfTask, isUnder, newTaskId, parentOf } from './path-id.ts'
import { destroyAndUnreserve, offeredReservations, relaunchResources, reservationIdFor, reserveAndCreate, type OfferOperation, type Reservation } from './resident.ts'
import { decideRollout, type RolloutDecision } from './rollout.ts'
import { buildAppTask } from './task-info.ts'

const log = logger('services')

/** A task that ends so never ran on its agent: its launch (and a new reservation's operations) did not happen. */
const NEVER_STARTED = new Set(['TASK_ERROR', 'TASK_DROPPED', 'TASK_LOST', 'TASK_GONE', 'TASK_UNKNOWN'])

/** Where `i` is, or belongs, in a list ordered by staged time and then task id (a binary search). */
function positionOf(list: readonly Instance[], i: Instance): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const m = list[mid]!
    if (m.stagedAt < i.stagedAt || (m.stagedAt === i.stagedAt && m.taskId < i.taskId)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** A refused operation: the HTTP status and Marathon's body. */
export class ServiceError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) { super(String(body.message)) }
}

export const appNotFound = (id: string) => new ServiceError(404, { message: `App '${id}' does not exist` })

export interface DeploymentResult { deploymentId: string; version: string }
export interface TaskFailure { appId: string; host: string; message: string; state: string; taskId: string; timestamp: string; version: string; slaveId: string }

/** What the framework side does for the manager. */
export interface TaskKiller { kill(taskId: string, agentId: string): void }

/** Versions kept per app (Marathon's --zk_max_versions default is 50). */
export const MAX_VERSIONS = 50
/** The largest app definition accepted (stored whole in one key-value entry, twice in a deployment's). */
export const MAX_APP_BYTES = 128 * 1024
const SERVICE_PORT_MIN = 10000
const SERVICE_PORT_MAX = 20000

/** `principal`: the reserver and volume creator principal of resident apps' reservations (the framework's). */
export interface ServiceManagerOptions { now?: () => number; uuid?: () => string; principal?: string }

/** What to do with one offer: the tasks it launches and every operation of its ACCEPT (none: decline it). */
export interface OfferAnswer { tasks: TaskInfo[]; operations: OfferOperation[] }

export class ServiceManager {
  readonly apps = new Map<string, AppDefinition>()
  readonly instances = new Map<string, Instance>()
  /**
   * Each app's tasks, kept in instancesOf's order (staged time, then task id: neither changes once staged), since
   * every decision looks at one app's tasks and a status update for one task of a thousand must not re-sort them.
   */
  private readonly byApp = new Map<string, Instance[]>()
  /**
   * Each app's last rollout decision, good while its definition (the same object) and its tasks (`taskChanges`)
   * stay the same, and, when one of its tasks is unreachable, the clock's millisecond too: a tick, an OFFERS event
   * and GET /v2/deployments each ask for every app's decision several times over.
   */
  private readonly decisions = new Map<string, { app: AppDefinition; changes: number; now: number; timeless: boolean; decision: RolloutDecision }>()
  /** How often each app's task list changed. */
  private readonly taskChanges = new Map<string, number>()
  readonly deployments = new Map<string, Deployment>()
  private readonly versions = new Map<string, string[]>()
  private readonly backoffs = new Map<string, Backoff>()
  private readonly stats = new Map<string, OfferStats>()
  private readonly failures = new Map<string, TaskFailure>()
  /** Why each app waits, from its last rollout decision. */
  readonly waiting = new Map<string, string>()
  private groups = new Set<string>()
  /** Resident instances' reservations (resident.ts), by reservation id: they outlive the instances' tasks. */
  readonly reservations = new Map<string, Reservation>()
  private readonly principal: string | undefined
  private readonly now: () => number
  private readonly uuid: () => string
  /** Called when apps may want offers (the framework revives). */
  onWantsOffers: () => void = () => {}
  killer: TaskKiller = { kill: () => {} }

  constructor(private readonly store: NamespaceStore, readonly events: ServiceEvents, opts: ServiceManagerOptions = {}) {
    this.now = opts.now ?? Date.now
    this.uuid = opts.uuid ?? randomUUID
    this.principal = opts.principal
    this.recover()
  }

  private iso(ms = this.now()) { return new Date(ms).toISOString() }

  private recover() {
    for (const [k, v] of this.store.list('app/')) this.apps.set(k.slice(4), JSON.parse(v))
    for (const [k, v] of this.store.list('versions/')) this.versions.set(k.slice(9), JSON.parse(v))
    for (const [, v] of this.store.list('instance/')) this.index(JSON.parse(v) as Instance)
    for (const [, v] of this.store.list('deployment/')) {
      const d = JSON.parse(v) as Deployment & { apps: string[] }
      const original: Deployment['original'] = {}
      const target: Deployment['target'] = {}
      for (const app of d.apps) {
        const pair = JSON.parse(this.store.get(`deployment-app/${d.id}/${app}`) ?? '{"original":null,"target":null}')
        original[app] = pair.original
        target[app] = pair.target
      }
      const { apps: _apps, ...rest } = d
      this.deployments.set(d.id, { ...rest, original, target })
    }
    for (const [k, v] of this.store.list('backoff/')) this.backoffs.set(k.slice(8), JSON.parse(v))
    for (const [k, v] of this.store.list('failure/')) this.failures.set(k.slice(8), JSON.parse(v))
    this.groups = new Set(JSON.parse(this.store.get('groups') ?? '[]'))
    for (const [k, v] of this.store.list('reservation/')) this.reservations.set(k.slice(12), JSON.parse(v))
    if (this.apps.size) log.info(`Recovered ${this.apps.size} app(s), ${this.instances.size} task(s), ${this.deployments.size} deployment(s)`)
  }

  // ------------------------------------------------------------------------------------------- reads

  getApp(id: string): AppDefinition {
    const a = this.apps.get(id)
    if (!a) throw appNotFound(id)
    return a
  }

  private index(i: Instance) {
    const before = this.instances.get(i.taskId)
    this.instances.set(i.taskId, i)
    this.taskChanges.set(i.appId, (this.taskChanges.get(i.appId) ?? 0) + 1)
    let list = this.byApp.get(i.appId)
    if (!list) { list = []; this.byApp.set(i.appId, list) }
    if (before) {
      const at = positionOf(list, before)
      if (list[at]?.taskId === i.taskId && before.stagedAt === i.stagedAt) { list[at] = i; return }
      if (list[at]?.taskId === i.taskId) list.splice(at, 1)
    }
    list.splice(positionOf(list, i), 0, i)
  }

  private unindex(taskId: string) {
    const i = this.instances.get(taskId)
    if (!i) return
    this.instances.delete(taskId)
    this.taskChanges.set(i.appId, (this.taskChanges.get(i.appId) ?? 0) + 1)
    const list = this.byApp.get(i.appId)
    if (!list) return
    const at = positionOf(list, i)
    if (list[at]?.taskId === taskId) list.splice(at, 1)
    if (!list.length) this.byApp.delete(i.appId)
  }

  /** An app's tasks, oldest first (a copy). */
  instancesOf(appId: string): Instance[] {
    return [...this.tasksOf(appId)]
  }

  /** The same, without the copy, for the decisions made many times a second. */
  private tasksOf(appId: string): readonly Instance[] {
    return this.byApp.get(appId) ?? []
  }

  versionsOf(id: string): string[] {
    this.getApp(id)
    return this.versions.get(id) ?? []
  }

  appVersion(id: string, version: string): AppDefinition {
    this.getApp(id)
    const v = this.store.get(`version/${id}/${version}`)
    if (!v) throw new ServiceError(404, { message: `App '${id}' does not exist in version ${version}` })
    return JSON.parse(v)
  }

  lastTaskFailure(id: string): TaskFailure | undefined { return this.failures.get(id) }
  backoffOf(id: string): Backoff { return this.backoffs.get(id) ?? NO_BACKOFF }
  offerStats(id: string): OfferStats | undefined { return this.stats.get(id) }

  deploymentsOf(appId: string): Deployment[] {
    return [...this.deployments.values()].filter(d => affectedApps(d).includes(appId))
  }

  /** Group ids: every app's ancestors and the groups created explicitly. */
  groupIds(): string[] {
    const out = new Set<string>(['/'])
    const addAncestors = (id: string) => { for (let g = parentOf(id); ; g = parentOf(g)) { out.add(g); if (g === '/') break } }
    for (const id of this.apps.keys()) addAncestors(id)
    for (const g of this.groups) { out.add(g); addAncestors(g) }
    return [...out].sort()
  }

  decide(app: AppDefinition): RolloutDecision {
    const now = this.now()
    const changes = this.taskChanges.get(app.id) ?? 0
    const last = this.decisions.get(app.id)
    if (last && last.app === app && last.changes === changes && (last.now === now || last.timeless)) return last.decision
    const tasks = this.tasksOf(app.id)
    const decision = decideRollout(app, tasks, now)
    // The clock matters only to how long unreachable tasks have been so (rollout.ts, unreachableStatus).
    const timeless = !tasks.some(i => i.state === 'TASK_UNREACHABLE' && i.unreachableSince !== undefined)
    this.decisions.set(app.id, { app, changes, now, timeless, decision })
    return decision
  }

  /** Whether an action of a deployment is done. */
  actionComplete(a: Action): boolean {
    if (a.action === 'StartApplication') return true
    if (a.action === 'StopApplication') return !this.tasksOf(a.app).some(i => !TERMINAL_STATES.has(i.state))
    const app = this.apps.get(a.app)
    return !app || this.decide(app).done
  }

  currentStep(d: Deployment): number { return currentStepIndex(d, a => this.actionComplete(a)) }

  currentActions(d: Deployment): Action[] {
    const step = d.steps[this.currentStep(d) - 1]
    return step ? step.actions.filter(a => !this.actionComplete(a)) : []
  }

  /** Why a deployment does not finish: its current actions' apps' waiting reasons and launch delays. */
  deploymentReason(d: Deployment): string | undefined {
    const reasons = this.currentActions(d).flatMap(a => {
      const w = this.waiting.get(a.app)
      const b = this.backoffOf(a.app)
      const delay = b.until > this.now() ? ` (launches delayed ${Math.ceil((b.until - this.now()) / 1000)} s after ${b.failures} task failure(s)${this.failures.get(a.app) ? `: ${this.failures.get(a.app)!.message || this.failures.get(a.app)!.state}` : ''})` : ''
      // Why offers did not do: the reasons of the last declined offers, most frequent first.
      const last = this.stats.get(a.app)?.last ?? []
      const counted = new Map<string, number>()
      for (const o of last.slice(-10)) for (const r of o.reason) counted.set(r, (counted.get(r) ?? 0) + 1)
      const offers = counted.size ? `; last ${Math.min(10, last.length)} offer(s) declined: ${[...counted].sort((x, y) => y[1] - x[1]).map(([r, c]) => `${r} ×${c}`).join(', ')}` : ''
      return w ? [`${a.app}: ${w}${delay}${offers}`] : []
    })
    return reasons.length ? reasons.join('; ') : undefined
  }

  // ------------------------------------------------------------------------------------------- persistence

  private saveApp(app: AppDefinition) {
    this.apps.set(app.id, app)
    this.store.put(`app/${app.id}`, JSON.stringify(app))
    this.store.put(`version/${app.id}/${app.version}`, JSON.stringify(app))
    const list = [app.version, ...(this.versions.get(app.id) ?? []).filter(v => v !== app.version)]
    for (const old of list.splice(MAX_VERSIONS)) this.store.remove(`version/${app.id}/${old}`)
    this.versions.set(app.id, list)
    this.store.put(`versions/${app.id}`, JSON.stringify(list))
  }

  private removeApp(id: string) {
    // Its volumes are destroyed and its reservations unreserved once their tasks are gone (Marathon on app delete).
    for (const r of this.reservationsOf(id)) this.saveReservation({ ...r, wipe: true })
    this.apps.delete(id)
    this.decisions.delete(id)
    this.store.remove(`app/${id}`)
    for (const v of this.versions.get(id) ?? []) this.store.remove(`version/${id}/${v}`)
    this.versions.delete(id)
    this.store.remove(`versions/${id}`)
    this.backoffs.delete(id)
    this.store.remove(`backoff/${id}`)
    this.failures.delete(id)
    this.store.remove(`failure/${id}`)
    this.stats.delete(id)
    this.waiting.delete(id)
  }

  private saveInstance(i: Instance) {
    this.index(i)
    this.store.put(`instance/${i.taskId}`, JSON.stringify(i))
  }

  private saveReservation(r: Reservation) {
    this.reservations.set(r.id, r)
    this.store.put(`reservation/${r.id}`, JSON.stringify(r))
  }

  private dropReservation(id: string) {
    this.reservations.delete(id)
    this.store.remove(`reservation/${id}`)
  }

  /** An app's reservations that are not being wiped. */
  reservationsOf(appId: string): Reservation[] {
    return [...this.reservations.values()].filter(r => r.appId === appId && !r.wipe)
  }

  /** What a task's update says about its unconfirmed reservation: made (the task got to its agent), or never made. */
  private settleReservation(i: Instance, state: string) {
    const r = i.reservationId ? this.reservations.get(i.reservationId) : undefined
    if (!r || r.confirmed) return
    if (NEVER_STARTED.has(state)) {
      log.warn(`Task ${i.taskId} of ${i.appId} ended ${state} before it started: reservation ${r.id} on agent ${r.agentId} was not made; forgetting it`)
      this.dropReservation(r.id)
    } else if (state !== 'TASK_STAGING') this.saveReservation({ ...r, confirmed: true })
  }

  /** Whether a live task runs on the reservation. */
  private reservationInUse(id: string): boolean {
    return this.tasksOf(this.reservations.get(id)?.appId ?? '').some(i => i.reservationId === id && !TERMINAL_STATES.has(i.state))
  }

  private dropInstance(taskId: string) {
    this.unindex(taskId)
    this.store.remove(`instance/${taskId}`)
  }

  /** One key for the plan, one per affected app with its two definitions: a value stays small whatever the plan's size. */
  private saveDeployment(d: Deployment) {
    const known = this.deployments.has(d.id)
    this.deployments.set(d.id, d)
    const { original, target, ...plan } = d
    const apps = Object.keys(original)
    if (!known) for (const app of apps) this.store.put(`deployment-app/${d.id}/${app}`, JSON.stringify({ original: original[app] ?? null, target: target[app] ?? null }))
    this.store.put(`deployment/${d.id}`, JSON.stringify({ ...plan, apps }))
  }

  private dropDeployment(id: string) {
    const d = this.deployments.get(id)
    this.deployments.delete(id)
    for (const app of Object.keys(d?.original ?? {})) this.store.remove(`deployment-app/${id}/${app}`)
    this.store.remove(`deployment/${id}`)
  }

  private setBackoff(id: string, b: Backoff) {
    if (b.failures === 0) { this.backoffs.delete(id); this.store.remove(`backoff/${id}`); return }
    this.backoffs.set(id, b)
    this.store.put(`backoff/${id}`, JSON.stringify(b))
  }

  // ------------------------------------------------------------------------------------------- changes

  /** Marathon's service ports: port 0 gets a free one from 10000, kept across versions of the app. */
  private withServicePorts(app: AppDefinition, previous?: AppDefinition): AppDefinition {
    const used = new Set([...this.apps.values()].filter(a => a.id !== app.id).flatMap(servicePorts))
    const before = previous ? servicePorts(previous) : []
    let next = SERVICE_PORT_MIN
    const pick = (i: number) => {
      const kept = before[i]
      if (kept && !used.has(kept)) { used.add(kept); return kept }
      while (used.has(next) && next <= SERVICE_PORT_MAX) next++
      if (next > SERVICE_PORT_MAX) throw new ServiceError(422, { message: 'Object is not valid', details: [{ path: '/portDefinitions', errors: [`no free service port left in ${SERVICE_PORT_MIN}-${SERVICE_PORT_MAX}`] }] })
      used.add(next)
      return next
    }
    if (app.networks[0]?.mode !== 'container') return { ...app, portDefinitions: app.portDefinitions.map((p, i) => (p.port === 0 ? { ...p, port: pick(i) } : p)) }
    if (!app.container) return app
    return { ...app, container: { ...app.container, portMappings: app.container.portMappings.map((m, i) => (m.servicePort === 0 ? { ...m, servicePort: pick(i) } : m)) } }
  }

  /** Parses a definition into a new version of the app (or a new app). */
  parse(raw: unknown, opts: { pathId?: string; base?: string; partial?: boolean; version?: string } = {}): AppDefinition {
    const version = opts.version ?? this.iso()
    const id = opts.pathId
    const previous = id ? this.apps.get(id) : undefined
    // marathon-python's rollback_app: a body of just {"version": …} deploys that stored version again.
    if (previous && typeof raw === 'object' && raw !== null && Object.keys(raw).length === 1 && typeof (raw as any).version === 'string') {
      const old = this.appVersion(previous.id, (raw as any).version)
      return { ...old, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: old.versionInfo.lastConfigChangeAt } }
    }
    const body = opts.partial && previous && typeof raw === 'object' && raw !== null ? { ...previous, ...raw } : raw
    const app = parseApp(body, { ...(id ? { pathId: id } : {}), ...(opts.base ? { base: opts.base } : {}), now: version, ...(previous ? { previous } : {}) })
    const bytes = Buffer.byteLength(JSON.stringify(app))
    if (bytes > MAX_APP_BYTES) throw new ServiceError(422, { message: 'Object is not valid', details: [{ path: '/', errors: [`the app definition is ${bytes} bytes; at most ${MAX_APP_BYTES} are accepted`] }] })
    const withPorts = this.withServicePorts(app, previous)
    // Assigned service ports equal to the previous ones keep a scale a scale.
    if (previous && withPorts.versionInfo.lastConfigChangeAt === version) {
      const again = parseApp(withPorts, { now: version, previous })
      return { ...withPorts, versionInfo: again.versionInfo }
    }
    return withPorts
  }

  /** Refuses (409) a change of apps locked by deployments unless forced; forced, those deployments are cancelled. */
  private unlock(appIds: string[], force: boolean) {
    const locking = [...this.deployments.values()].filter(d => affectedApps(d).some(a => appIds.includes(a)))
    if (!locking.length) return
    if (!force) {
      throw new ServiceError(409, {
        message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${locking[0]!.id}'.`,
        deployments: locking.map(d => ({ id: d.id })),
      })
    }
    for (const d of locking) this.cancelDeployment(d, 'The deployment was cancelled by a forced change of its apps')
  }

  private cancelDeployment(d: Deployment, reason: string) {
    this.dropDeployment(d.id)
    log.info(`Deployment ${d.id} (${affectedApps(d).join(', ')}) cancelled: ${reason}`)
    this.events.publish('deployment_failed', { id: d.id, plan: this.planJson(d), reason })
  }

  /** Applies `target` (app id → new definition, or null to remove it) as one deployment. */
  deploy(target: Record<string, AppDefinition | null>, force: boolean): DeploymentResult {
    return this.store.batch(() => this.deployInBatch(target, force))
  }

  private deployInBatch(target: Record<string, AppDefinition | null>, force: boolean): DeploymentResult {
    const ids = Object.keys(target)
    this.unlock(ids, force)
    const original = Object.fromEntries(ids.map(id => [id, this.apps.get(id) ?? null]))
    const version = Object.values(target).find(a => a)?.version ?? this.iso()
    const plan = planDeployment(this.uuid(), version, original, target)
    for (const [id, def] of Object.entries(target)) {
      if (def) {
        const previous = this.apps.get(id)
        // A new config starts launches without the old config's backoff (Marathon resets the delay).
        if (previous && previous.versionInfo.lastConfigChangeAt !== def.versionInfo.lastConfigChangeAt) this.setBackoff(id, NO_BACKOFF)
        this.saveApp(def)
      } else if (this.apps.has(id)) {
        this.removeApp(id)
        this.events.publish('app_terminated_event', { appId: id })
      }
    }
    if (!plan) return { deploymentId: this.uuid(), version }
    this.saveDeployment(plan)
    log.info(`Deployment ${plan.id}: ${plan.steps.flatMap(s => s.actions.map(a => `${a.action} ${a.app}`)).join(', ')}`)
    this.events.publish('deployment_info', { plan: this.planJson(plan), currentStep: plan.steps[this.currentStep(plan) - 1] })
    this.tick()
    this.onWantsOffers()
    return { deploymentId: plan.id, version }
  }

  createApp(raw: unknown, force: boolean): { app: AppDefinition; deployment: DeploymentResult } {
    const app = this.parse(raw)
    if (this.apps.has(app.id)) throw new ServiceError(409, { message: `An app with id [${app.id}] already exists.` })
    const clash = this.groupIds().includes(app.id)
    if (clash) throw new ServiceError(409, { message: `A group with id [${app.id}] already exists.` })
    const deployment = this.deploy({ [app.id]: app }, force)
    return { app: this.apps.get(app.id)!, deployment }
  }

  /** PUT/PATCH /v2/apps/{id}: creates the app when there is none (created: true). */
  putApp(id: string, raw: unknown, opts: { force: boolean; partial: boolean }): { created: boolean; deployment: DeploymentResult } {
    const created = !this.apps.has(id)
    const app = this.parse(raw, { pathId: id, partial: opts.partial })
    return { created, deployment: this.deploy({ [app.id]: app }, opts.force) }
  }

  putApps(raws: unknown[], opts: { force: boolean; partial: boolean }): DeploymentResult {
    const version = this.iso()
    const target: Record<string, AppDefinition> = {}
    for (const raw of raws) {
      const rawId = typeof raw === 'object' && raw !== null ? (raw as any).id : undefined
      const id = typeof rawId === 'string' ? (rawId.startsWith('/') ? rawId : `/${rawId}`) : undefined
      const app = this.parse(raw, { ...(id ? { pathId: id } : {}), partial: opts.partial, version })
      target[app.id] = app
    }
    return this.deploy(target, opts.force)
  }

  deleteApp(id: string, force: boolean): DeploymentResult {
    this.getApp(id)
    return this.deploy({ [id]: null }, force)
  }

  restartApp(id: string, force: boolean): DeploymentResult {
    const app = this.getApp(id)
    const version = this.iso()
    return this.deploy({ [id]: { ...app, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt: version } } }, force)
  }

  /** Kills tasks (POST /v2/tasks/delete, DELETE /v2/apps/{id}/tasks[/{task}]); with scale, the apps shrink by them. */
  killTasks(taskIds: string[], opts: { scale: boolean; force: boolean; wipe?: boolean }): { killed: Instance[]; deployment?: DeploymentResult } {
    return this.store.batch(() => this.killTasksInBatch(taskIds, opts))
  }

  private killTasksInBatch(taskIds: string[], opts: { scale: boolean; force: boolean; wipe?: boolean }): { killed: Instance[]; deployment?: DeploymentResult } {
    const found = taskIds.map(t => this.instances.get(t))
    const missing = taskIds.filter((_, i) => !found[i])
    if (missing.length) throw new ServiceError(404, { message: `Task(s) ${missing.join(', ')} not found` })
    const killed = found as Instance[]
    // Marathon's wipe: the resident instance is forgotten, its volumes destroyed and its resources unreserved once
    // its task is gone; a replacement (unless scaled away) gets a new reservation, wherever it fits.
    if (opts.wipe) for (const i of killed) {
      const r = i.reservationId ? this.reservations.get(i.reservationId) : undefined
      if (r && !r.wipe) { this.saveReservation({ ...r, wipe: true }); log.info(`Wiping reservation ${r.id} of ${r.appId} on agent ${r.agentId} (task ${i.taskId})`) }
    }
    if (opts.wipe && killed.some(i => i.reservationId)) this.onWantsOffers()
    let deployment: DeploymentResult | undefined
    if (opts.scale) {
      const byApp = new Map<string, number>()
      for (const i of killed) byApp.set(i.appId, (byApp.get(i.appId) ?? 0) + 1)
      const version = this.iso()
      const target: Record<string, AppDefinition> = {}
      for (const [appId, n] of byApp) {
        const app = this.getApp(appId)
        target[appId] = { ...app, instances: Math.max(0, app.instances - n), version, versionInfo: { ...app.versionInfo, lastScalingAt: version } }
      }
      // The named tasks go first, not whichever killSelection would pick.
      for (const i of killed) this.requestKill(i)
      deployment = this.deploy(target, opts.force)
    } else {
      for (const i of killed) this.requestKill(i)
    }
    return { killed, ...(deployment ? { deployment } : {}) }
  }

  deleteDeployment(id: string, force: boolean): DeploymentResult | undefined {
    return this.store.batch(() => this.deleteDeploymentInBatch(id, force))
  }

  private deleteDeploymentInBatch(id: string, force: boolean): DeploymentResult | undefined {
    const d = this.deployments.get(id)
    if (!d) throw new ServiceError(404, { message: `DeploymentPlan ${id} does not exist` })
    if (force) { this.cancelDeployment(d, 'The deployment was cancelled (DELETE ?force=true)'); return undefined }
    this.cancelDeployment(d, 'The deployment was rolled back')
    const version = this.iso()
    const current = Object.fromEntries(affectedApps(d).map(a => [a, this.apps.get(a) ?? null]))
    const rollback = rollbackOf(d, current, this.uuid(), version)
    if (!rollback) return { deploymentId: this.uuid(), version }
    return this.deploy(rollback.target, true)
  }

  resetDelay(id: string) {
    this.getApp(id)
    this.setBackoff(id, NO_BACKOFF)
    this.onWantsOffers()
  }

  createGroup(id: string) {
    this.groups.add(id)
    this.store.put('groups', JSON.stringify([...this.groups].sort()))
  }

  /** Removes a group and every app under it. */
  deleteGroup(id: string, force: boolean): DeploymentResult {
    return this.store.batch(() => this.deleteGroupInBatch(id, force))
  }

  private deleteGroupInBatch(id: string, force: boolean): DeploymentResult {
    const apps = [...this.apps.keys()].filter(a => isUnder(a, id))
    const known = this.groupIds().includes(id)
    if (!known) throw new ServiceError(404, { message: `Group '${id}' does not exist` })
    for (const g of [...this.groups]) if (isUnder(g, id)) this.groups.delete(g)
    this.store.put('groups', JSON.stringify([...this.groups].sort()))
    return this.deploy(Object.fromEntries(apps.map(a => [a, null])), force)
  }

  // ------------------------------------------------------------------------------------------- the framework side

  private requestKill(i: Instance) {
    if (TERMINAL_STATES.has(i.state)) return
    const killed = { ...i, killRequested: true }
    this.saveInstance(killed)
    this.killer.kill(i.taskId, i.agentId)
  }

  /** Live tasks asked to be killed (offer-driven-framework.ts sends their kills again until they end). */
  tasksBeingKilled(): Instance[] { return [...this.instances.values()].filter(i => i.killRequested && !TERMINAL_STATES.has(i.state)) }

  /** How many tasks each app wants launched now (backoff passed). */
  launchesWanted(): { app: AppDefinition; count: number }[] {
    const now = this.now()
    const out: { app: AppDefinition; count: number }[] = []
    for (const app of this.apps.values()) {
      const d = this.decide(app)
      if (d.launch > 0 && this.backoffOf(app.id).until <= now) out.push({ app, count: d.launch })
    }
    // Apps being deployed first, then by id: a deployment's progress is what someone watches.
    const deploying = new Set([...this.deployments.values()].flatMap(affectedApps))
    return out.sort((a, b) => Number(deploying.has(b.app.id)) - Number(deploying.has(a.app.id)) || (a.app.id < b.app.id ? -1 : 1))
  }

  /** Whether the framework needs offers: apps want launches, or reservations wait to be destroyed. */
  wantsOffers(): boolean {
    if (this.launchesWanted().length) return true
    for (const r of this.reservations.values()) if (r.wipe) return true
    return false
  }

  /** matchOffer for each of the offers of one OFFERS event, every launch recorded in one registrar transaction. */
  matchOffers(offers: readonly Offer[]): TaskInfo[][] {
    return this.answerOffers(offers, '').map(a => a.tasks)
  }

  /**
   * What to do with each offer of one OFFERS event (every launch and reservation recorded in one registrar
   * transaction, before the answers go out). `frameworkId` labels resident instances' reservations.
   */
  answerOffers(offers: readonly Offer[], frameworkId: string): OfferAnswer[] {
    return this.store.batch(() => {
      const wanted = this.launchesWanted()
      return offers.map(offer => {
        const operations: OfferOperation[] = []
        const tasks = this.matchOfferInBatch(offer, wanted, frameworkId, operations)
        if (tasks.length) operations.push({ type: 'LAUNCH', launch: { task_infos: tasks } })
        return { tasks, operations }
      })
    })
  }

  /**
   * The tasks to launch from one offer (recorded as STAGING instances), with the offer statistics updated.
   * `wanted` (launchesWanted(), computed once for a batch of offers) is decremented by what is launched.
   */
  matchOffer(offer: Offer, wanted = this.launchesWanted()): TaskInfo[] {
    return this.store.batch(() => this.matchOfferInBatch(offer, wanted, '', []))
  }

  /** `operations` receives the reservations' operations (to go before the LAUNCH of the tasks returned). */
  private matchOfferInBatch(offer: Offer, wanted: { app: AppDefinition; count: number }[], frameworkId: string, operations: OfferOperation[]): TaskInfo[] {
    const now = this.now()
    const nowIso = this.iso(now)
    const pool = remainderOf(offer)
    // Resident instances' reservations in this offer: relaunched on, or destroyed when no longer wanted.
    const reserved = frameworkId ? offeredReservations(pool, frameworkId) : new Map<string, Resource[]>()
    const tasks: TaskInfo[] = []
    const placement = placementOf(offer)
    // Every waiting app looks at every offer (Marathon counts each app's declined offers), so what can be shared
    // between apps is: the part of the offer apps of the same roles may use (the same objects, still taken from).
    const usableByRoles = new Map<string, Resource[]>()
    for (const w of wanted) {
      const { app, count } = w
      if (count <= 0) continue
      const roles = rolesKey(app)
      let usable = usableByRoles.get(roles)
      if (!usable) { usable = usableBy(pool, app); usableByRoles.set(roles, usable) }
      // Where the app's tasks are matters to its constraints only.
      const placed = app.constraints.length ? this.tasksOf(app.id).filter(i => !TERMINAL_STATES.has(i.state) && !i.killRequested).map(i => i.placement) : []
      let launched = 0
      let reasons: NoOfferMatchReason[]
      const resident = isResident(app)
      if (resident) {
        const r = this.matchResident(offer, app, count, usable, reserved, placed, { frameworkId, now, nowIso, placement }, tasks, operations)
        launched = r.launched
        reasons = r.reasons
        w.count -= launched
      } else reasons = declineReasons(offer, usable, app, placed, now, placement)
      while (!resident && launched < count && !reasons.length) {
        const match = takeFromOffer(usable, app)
        if (!match) break
        tasks.push(this.newTask(app, offer, placement, nowIso, match.resources, match.hostPorts))
        placed.push(placement)
        launched++
        w.count--
        reasons = declineReasons(offer, usable, app, placed, now, placement)
      }
      const before = this.stats.get(app.id) ?? newOfferStats(nowIso)
      if (launched) this.stats.set(app.id, recordUsed(before, nowIso, launched < count ? { offer: { ...offer, resources: pool }, reasons } : undefined))
      else {
        this.stats.set(app.id, recordUnused(before, offer, reasons.length ? reasons : ['InsufficientPorts'], nowIso))
        this.events.publish('offers_declined_event', { appId: app.id, offerId: offer.id.value, slaveId: offer.agent_id.value, host: offer.hostname, reasons })
      }
      if (launched) log.info(`Launching ${launched} task(s) of ${app.id} on ${offer.hostname} (${offer.agent_id.value})`)
    }
    // Reservations of ours no instance wants (its app deleted, it wiped, or unknown to the state): destroyed and
    // unreserved (Marathon's OfferMatcherReconciler).
    for (const [id, resources] of reserved) {
      const known = this.reservations.get(id)
      if (known && !known.wipe && this.apps.has(known.appId)) continue
      if (known && this.reservationInUse(id)) continue
      operations.unshift(...destroyAndUnreserve(resources))
      if (known) this.dropReservation(id)
      log.info(`Destroying the volumes of ${known ? `${known.appId}'s` : 'unknown'} reservation ${id} on agent ${offer.agent_id.value} (${offer.hostname}) and unreserving its resources`)
    }
    return tasks
  }

  /** A new task of `app` on the offer's agent, its instance saved as staging (on `resident`'s reservation, if given). */
  private newTask(app: AppDefinition, offer: Offer, placement: Placement, nowIso: string, resources: Resource[], hostPorts: number[], resident?: Reservation): TaskInfo {
    const taskId = newTaskId(app.id, this.uuid())
    const sp = servicePorts(app)
    this.saveInstance({
      taskId, appId: app.id, version: app.version, configVersion: app.versionInfo.lastConfigChangeAt,
      agentId: offer.agent_id.value, host: offer.hostname, placement, hostPorts, servicePorts: sp,
      state: 'TASK_STAGING', stagedAt: nowIso, healthConsecutiveFailures: 0, ipAddresses: [],
      ...(resident ? { reservationId: resident.id, localVolumes: resident.volumes.map(({ size: _s, ...v }) => v) } : {}),
    })
    return buildAppTask(app, taskId, offer.agent_id.value, offer.hostname, resources, hostPorts, sp)
  }

  /**
   * A resident app's launches from one offer: first on its free reservations the offer holds (relaunching their
   * instances on the same agent with the same volumes), then, while it has fewer reservations than instances, on
   * new reservations (RESERVE + CREATE before the LAUNCH). With neither, the offer does not do:
   * NoCorrespondingReservationFound.
   */
  private matchResident(offer: Offer, app: AppDefinition, count: number, usable: Resource[], reserved: Map<string, Resource[]>, placed: Placement[],
    ctx: { frameworkId: string; now: number; nowIso: string; placement: Placement }, tasks: TaskInfo[], operations: OfferOperation[]): { launched: number; reasons: NoOfferMatchReason[] } {
    let launched = 0
    const agentId = offer.agent_id.value
    const launch = (taskResources: Resource[], r: Reservation) => {
      tasks.push(this.newTask(app, offer, ctx.placement, ctx.nowIso, taskResources, r.hostPorts, r))
      placed.push(ctx.placement)
      launched++
    }
    const own = this.reservationsOf(app.id)
    let missing: string | undefined
    for (const r of own) {
      if (launched >= count) break
      const offered = reserved.get(r.id)
      if (!offered || r.agentId !== agentId || this.reservationInUse(r.id)) continue
      const got = relaunchResources(offered, r, app)
      if ('missing' in got) { missing = got.missing; continue }
      reserved.delete(r.id)
      if (!r.confirmed) this.saveReservation({ ...r, confirmed: true })
      launch(got.resources, r)
    }
    if (launched) log.info(`Relaunching ${launched} resident task(s) of ${app.id} on their reservations on ${offer.hostname} (${agentId})`)
    let newOnes = Math.min(count - launched, app.instances - own.length)
    if (newOnes <= 0) {
      if (launched < count && missing) log.info(`An offer of agent ${agentId} holds part of a reservation of ${app.id} but not ${missing}`)
      return { launched, reasons: launched < count ? ['NoCorrespondingReservationFound'] : [] }
    }
    if (!ctx.frameworkId) return { launched, reasons: ['NoCorrespondingReservationFound'] }
    // New reservations are made of unreserved resources only, disk for the volumes included.
    const unreserved = usable.filter(r => reservationRole(r) === '*')
    const needs: AppDefinition = { ...app, disk: app.disk + persistentVolumes(app).reduce((s, v) => s + v.persistent.size, 0) }
    let reasons = declineReasons(offer, unreserved, needs, placed, ctx.now, ctx.placement)
    while (newOnes > 0 && !reasons.length) {
      const match = takeFromOffer(unreserved, needs)
      if (!match) break
      const made = reserveAndCreate(app, match.resources, {
        frameworkId: ctx.frameworkId, reservationId: reservationIdFor(app.id, this.uuid()), uuid: this.uuid,
        ...(this.principal ? { principal: this.principal } : {}), agentId, host: offer.hostname, placement: ctx.placement, hostPorts: match.hostPorts, now: ctx.nowIso,
      })
      operations.push(...made.operations)
      this.saveReservation(made.reservation)
      log.info(`Reserving ${made.reservation.id} for ${app.id} on ${offer.hostname} (${agentId}) for role ${app.role} with volume(s) ${made.reservation.volumes.map(v => v.persistenceId).join(', ')}`)
      launch(made.taskResources, made.reservation)
      newOnes--
      reasons = declineReasons(offer, unreserved, needs, placed, ctx.now, ctx.placement)
    }
    return { launched, reasons: launched < count ? reasons : [] }
  }

  /** A status update for a task of ours (true when it was ours). */
  taskStatus(s: TaskStatus): boolean {
    return this.store.batch(() => this.taskStatusInBatch(s))
  }

  private taskStatusInBatch(s: TaskStatus): boolean {
    const taskId = s.task_id.value
    const state = String(s.state)
    const i = this.instances.get(taskId)
    if (!i) {
      // A task of ours the state does not know (launched before a crash that lost the record, or expunged):
      // it is not counted anywhere, so it must not run.
      if (appIdOfTask(taskId) && !TERMINAL_STATES.has(state) && s.agent_id) {
        log.warn(`Killing task ${taskId} on agent ${s.agent_id.value}: it is not a task of any app`)
        this.killer.kill(taskId, s.agent_id.value)
        return true
      }
      return appIdOfTask(taskId) !== undefined
    }
    const now = this.now()
    const nowIso = this.iso(now)
    const next: Instance = { ...i, state }
    if (state === 'TASK_RUNNING' && !i.startedAt) next.startedAt = nowIso
    if (state === 'TASK_UNREACHABLE') next.unreachableSince = i.unreachableSince ?? now
    else delete next.unreachableSince
    const ips = ((s as any).container_status?.network_infos ?? []).flatMap((n: any) => (n.ip_addresses ?? []).map((a: any) => ({ ipAddress: a.ip_address, protocol: a.protocol === 'IPv6' ? 'IPv6' : 'IPv4' })))
    if (ips.length) next.ipAddresses = ips
    const app = this.apps.get(i.appId)
    if (typeof s.healthy === 'boolean') {
      next.healthy = s.healthy
      if (s.healthy) {
        next.healthConsecutiveFailures = 0
        next.healthLastSuccess = nowIso
        next.healthFirstSuccess = i.healthFirstSuccess ?? nowIso
      } else if (!TERMINAL_STATES.has(state)) {
        next.healthConsecutiveFailures = i.healthConsecutiveFailures + 1
        next.healthLastFailure = nowIso
        this.events.publish('failed_health_check_event', { appId: i.appId, taskId, instanceId: taskId, healthCheck: app?.healthChecks[0] ?? null })
      }
      if (s.healthy !== i.healthy) this.events.publish('health_status_changed_event', { appId: i.appId, taskId, instanceId: taskId, version: i.version, alive: s.healthy })
    }
    const check = (s as any).check_status
    if (check?.http && app?.readinessChecks[0]) {
      const code = check.http.status_code
      next.readyLastStatus = code
      next.ready = code !== undefined && app.readinessChecks[0].httpStatusCodesForReady.includes(code)
    }
    this.events.publish('status_update_event', {
      slaveId: i.agentId, taskId, taskStatus: state, message: s.message ?? '', appId: i.appId, host: i.host,
      ipAddresses: next.ipAddresses, ports: i.hostPorts, version: i.version,
    })
    if (!TERMINAL_STATES.has(state)) {
      this.saveInstance(next)
      this.settleReservation(next, state)
      // Every update of a deliberate kill's task goes on being a kill (an unreachable agent came back).
      if (!app && !i.killRequested) this.requestKill(next)
      return true
    }
    this.dropInstance(taskId)
    this.settleReservation(i, state)
    const failed = !i.killRequested && state !== 'TASK_FINISHED'
    if (state === 'TASK_KILLED' && s.healthy === false && !i.killRequested) {
      this.events.publish('unhealthy_task_kill_event', { appId: i.appId, taskId, instanceId: taskId, version: i.version, reason: `${app?.healthChecks[0]?.protocol ?? 'health'} check failed ${app?.healthChecks[0]?.maxConsecutiveFailures ?? ''} time(s) in a row`.replace('  ', ' '), host: i.host, slaveId: i.agentId })
    }
    if (app && (failed || state === 'TASK_FINISHED') && !i.killRequested) {
      const failure: TaskFailure = { appId: i.appId, host: i.host, message: s.message ?? '', state, taskId, timestamp: nowIso, version: i.version, slaveId: i.agentId }
      this.failures.set(i.appId, failure)
      this.store.put(`failure/${i.appId}`, JSON.stringify(failure))
      this.setBackoff(i.appId, afterFailure(this.backoffOf(i.appId), now, app))
      log.info(`Task ${taskId} of ${i.appId} ended ${state}${s.message ? ` (${s.message})` : ''}; relaunching after ${Math.round((this.backoffOf(i.appId).until - now) / 100) / 10} s`)
    }
    // Deployments and the other apps move on the next tick (within a second); a replacement is wanted now.
    if (app && this.decide(app).launch > 0) this.onWantsOffers()
    return true
  }

  // ------------------------------------------------------------------------------------------- time

  /** Drives every app towards its definition and finishes deployments (every second, and after changes). */
  tick(): void {
    return this.store.batch(() => this.tickInBatch())
  }

  private tickInBatch(): void {
    const now = this.now()
    let wants = false
    for (const app of this.apps.values()) {
      const d = this.decide(app)
      for (const i of d.kill) this.requestKill(i)
      for (const i of d.expunge) {
        log.warn(`Expunging task ${i.taskId} of ${app.id}: its agent ${i.agentId} has been unreachable for ${Math.round((now - (i.unreachableSince ?? now)) / 1000)} s`)
        this.dropInstance(i.taskId)
        this.killer.kill(i.taskId, i.agentId)
      }
      if (d.waiting) this.waiting.set(app.id, d.waiting)
      else this.waiting.delete(app.id)
      // The launch attempt's statistics start when the app starts waiting and end when it has what it wants.
      if (d.launch > 0) {
        wants = true
        if (!this.stats.has(app.id)) this.stats.set(app.id, newOfferStats(this.iso(now)))
      } else this.stats.delete(app.id)
      const b = this.backoffOf(app.id)
      if (b.failures > 0) {
        const hc = app.healthChecks.length > 0
        const steady = this.tasksOf(app.id).some(i => isRunning(i) && isHealthyAndReady(i, hc, false) && i.startedAt && now - Date.parse(i.startedAt) >= RESET_AFTER_MS)
        if (steady) this.setBackoff(app.id, NO_BACKOFF)
      }
    }
    // Tasks of removed apps (a StopApplication in progress, or an app removed with ?force while launching).
    for (const i of this.instances.values()) if (!this.apps.has(i.appId) && !i.killRequested && !TERMINAL_STATES.has(i.state)) this.requestKill(i)
    for (const d of [...this.deployments.values()]) {
      const step = this.currentStep(d)
      const allDone = d.steps.every(s => s.actions.every(a => this.actionComplete(a)))
      const reported = (d as Deployment & { reportedStep?: number }).reportedStep ?? 0
      if (step - 1 > reported || allDone) {
        for (let s = reported; s < (allDone ? d.steps.length : step - 1); s++) this.events.publish('deployment_step_success', { plan: this.planJson(d), currentStep: d.steps[s] })
        if (!allDone) this.saveDeployment({ ...d, reportedStep: step - 1 } as Deployment)
      }
      if (allDone) {
        this.dropDeployment(d.id)
        log.info(`Deployment ${d.id} (${affectedApps(d).join(', ')}) finished`)
        this.events.publish('deployment_success', { id: d.id, plan: this.planJson(d) })
      }
    }
    if (wants) this.onWantsOffers()
  }

  /** Marathon's DeploymentPlan JSON (deployment events carry it). */
  planJson(d: Deployment) {
    const state = (apps: Record<string, AppDefinition | null>) => ({ id: '/', apps: Object.values(apps).filter(a => a), groups: [], pods: [], dependencies: [], version: d.version })
    return { id: d.id, version: d.version, original: state(d.original), target: state(d.target), steps: d.steps }
  }
}

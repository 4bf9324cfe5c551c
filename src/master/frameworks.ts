// Framework transitions: subscribe (new, failover, re-subscription after a master restart), disconnect, failover
// timeout, teardown, auto-teardown, UPDATE_FRAMEWORK, REVIVE, SUPPRESS. Mesos does the same in
// src/master/master.cpp (Master::subscribe, Master::failoverFramework, Master::removeFramework).

import { frameworkIdFor } from '../core/ids.ts'
import { logger } from '../core/log.ts'
import type { FrameworkInfo } from '../core/v1/messages.ts'
import { frameworkInfoError, frameworkRoleList, frameworkUpdateError, suppressedRolesError } from './validation/scheduler-call.ts'
import { isTerminal } from '../core/v1/messages.ts'
import { Framework, type SchedulerConnection, type SchedulerStream } from './framework.ts'
import { frameworkOfferConstraints, OfferConstraintsFilter, setFrameworkOfferConstraints, type OfferConstraints } from './offer-constraints.ts'
import { removeOffer } from './offers.ts'
import { timerKey } from './outbox.ts'
import type { FrameworkRecord } from './registrar.ts'
import { HEARTBEAT_INTERVAL_SECONDS, type MasterState, type Step } from './state.ts'
import { masterStatus } from './task-status.ts'
import { applyStatus, removeTask } from './tasks.ts'
import { frameworkView } from './views-v1.ts'

const log = logger('master')

const AUTO_TEARDOWN = { key: 'meso.io/auto-teardown', value: 'idle' }

const record = (fw: Framework): FrameworkRecord => ({ id: fw.id, info: fw.info, registeredTime: fw.registeredTime })

/** What the allocator needs to know about a framework: roles, capabilities, suppressed roles, offer constraints. */
function allocatorSpec(step: Step, fw: Framework) {
  const filter = frameworkOfferConstraints(fw)
  const agents = step.s.agents
  return {
    roles: fw.roles, gpuResources: fw.gpuResources, suppressedRoles: [...fw.suppressedRoles],
    excludesAgent: !filter.isEmpty
      ? (role: string, agentId: string) => { const a = agents.get(agentId); return a !== undefined && filter.isAgentExcluded(role, a.info) }
      : undefined,
  }
}

/** A framework known from the registrar or an agent's report after a master restart: it has until then to come back. */
export function recoverFramework(step: Step, id: string, info: FrameworkInfo, registeredTime: number): Framework {
  const { s } = step
  const fw = new Framework(id, info, 'recovered', registeredTime)
  s.frameworks.set(id, fw)
  s.allocator.addFramework(id, { roles: fw.roles, gpuResources: fw.gpuResources, active: false })
  startFailoverTimer(step, fw, Math.max(info.failover_timeout ?? 0, s.flags.agent_reregister_timeout / 1000))
  return fw
}

export type SubscribeResult = { framework: Framework } | { error: string }

/** The `--roles` whitelist (deprecated in Mesos, still enforced there); `*` is always allowed. */
export function roleWhitelist(s: MasterState): string[] | undefined {
  const roles = s.flags.roles
  return roles ? roles.split(',').map(r => r.trim()).filter(Boolean) : undefined
}

/**
 * upstream Master::subscribe's checks before authorization (validateFramework, then the allocator options:
 * suppressed roles and offer constraints). The refusal is what the scheduler hears as an ERROR event.
 */
export function subscribeRefusal(s: MasterState, info: FrameworkInfo, suppressedRoles: readonly string[], constraints?: OfferConstraints): { error: string } | { filter: OfferConstraintsFilter } {
  const invalid = frameworkInfoError(info, { roleWhitelist: roleWhitelist(s) })
  if (invalid) return { error: invalid }
  const id = info.id?.value
  // Torn down, or past its failover timeout: its id is not usable again (upstream isCompletedFramework).
  if (id && s.completedFrameworks.some(f => f.id === id)) return { error: 'Framework has been removed' }
  const suppressed = suppressedRolesError(info, suppressedRoles)
  if (suppressed) return { error: suppressed }
  return offerConstraintsFilter(info, constraints)
}

/** Compiles a framework's offer constraints against its roles; the error as upstream's createAllocatorFrameworkOptions. */
export function offerConstraintsFilter(info: FrameworkInfo, constraints?: OfferConstraints): { error: string } | { filter: OfferConstraintsFilter } {
  const filter = OfferConstraintsFilter.create(constraints, frameworkRoleList(info))
  if (filter instanceof OfferConstraintsFilter) return { filter }
  return { error: filter.roles ? filter.error : `Offer constraints are not valid: ${filter.error}` }
}

/**
 * SUBSCRIBE: a new framework, or a failover/re-subscription of a known id. The caller has opened `conn`; the
 * framework hears SUBSCRIBED on it first.
 */
export function subscribe(step: Step, info: FrameworkInfo, suppressedRoles: string[], conn: SchedulerConnection, constraints: OfferConstraintsFilter = OfferConstraintsFilter.NONE): SubscribeResult {
  const { s, out, now } = step
  const requestedId = info.id?.value
  if (requestedId && s.completedFrameworks.some(f => f.id === requestedId)) return { error: 'Framework has been removed' }
  let fw = requestedId ? s.frameworks.get(requestedId) : undefined
  const isNew = !fw
  if (fw) {
    // user and checkpoint silently keep their old values (upstream preserveImmutableFields); the principal may not
    // change at all (validateUpdate).
    const changed = frameworkUpdateError(fw.info, { ...info, user: fw.info.user, checkpoint: fw.info.checkpoint })
    if (changed) return { error: changed }
    // Failover (upstream failoverFramework): the old connection hears ERROR 'Framework failed over' and is closed;
    // allowed FrameworkInfo fields are updated.
    out.closeStream(fw, 'Framework failed over')
    fw.stream = undefined
    cancelTimers(step, fw)
    // Offers made to the old scheduler instance are void (Master::failoverFramework removes them too); the
    // allocator offers the resources again, to the new instance if it wants them.
    for (const offerId of [...fw.offers]) removeOffer(step, offerId, { rescind: false })
    const prev = fw.info
    fw.info = { ...info, id: { value: fw.id }, user: prev.user, checkpoint: prev.checkpoint, principal: prev.principal }
    fw.reregisteredTime = now / 1000
    log.info(`Framework ${fw.id} (${fw.info.name}) re-subscribed`)
  } else {
    let id = requestedId
    if (!id) {
      const seq = s.nextSequence('framework')
      out.persist({ op: 'putSequence', name: 'framework', value: seq + 1 })
      id = frameworkIdFor(s.id, seq)
    }
    fw = new Framework(id, { ...info, id: { value: id } }, 'connected', now / 1000)
    s.frameworks.set(id, fw)
    s.allocator.addFramework(id, { roles: fw.roles, gpuResources: fw.gpuResources, active: false, suppressedRoles })
    log.info(`Framework ${id} (${info.name}) subscribed${requestedId ? ' with a previously assigned id' : ''}`)
  }
  fw.connection = 'connected'
  fw.stream = conn.stream
  fw.streamId = conn.streamId
  fw.codec = conn.codec
  fw.active = true
  fw.suppressedRoles = new Set(suppressedRoles)
  setFrameworkOfferConstraints(fw, constraints)
  out.persist({ op: 'putFramework', record: record(fw) })
  s.allocator.updateFramework(fw.id, allocatorSpec(step, fw))
  s.allocator.activateFramework(fw.id)
  out.toFramework(fw, { type: 'SUBSCRIBED', subscribed: { framework_id: { value: fw.id }, heartbeat_interval_seconds: HEARTBEAT_INTERVAL_SECONDS, master_info: s.info } })
  out.toFramework(fw, { type: 'HEARTBEAT' })
  out.startTimer(timerKey.heartbeat(fw.id), HEARTBEAT_INTERVAL_SECONDS * 1000, { kind: 'heartbeat', frameworkId: fw.id }, true)
  // Agents resend queued updates for this framework right away instead of waiting for their retry timer.
  for (const agent of s.agents.values()) {
    if (agent.executors.has(fw.id) || [...agent.tasks.values()].some(t => t.framework_id.value === fw.id)) {
      out.toAgent(agent, { type: 'UPDATE_FRAMEWORK', framework: fw.info })
    }
  }
  out.publish(isNew ? 'FRAMEWORK_ADDED' : 'FRAMEWORK_UPDATED', { framework: frameworkView(s, fw) })
  s.metrics.inc(isNew ? 'master/frameworks_registered' : 'master/frameworks_reregistered')
  out.allocate()
  return { framework: fw }
}

/** The scheduler's stream `stream` ended: offers go back and the failover timer starts. */
export function schedulerDisconnected(step: Step, fw: Framework, stream: SchedulerStream) {
  const { s, out, now } = step
  if (fw.stream !== stream || fw.connection !== 'connected' || !s.frameworks.has(fw.id)) return
  log.info(`Framework ${fw.id} (${fw.info.name}) disconnected; failover timeout ${fw.info.failover_timeout ?? 0}s`)
  fw.connection = 'disconnected'
  fw.stream = undefined
  fw.active = false
  fw.unregisteredTime = now / 1000
  cancelTimers(step, fw)
  s.allocator.deactivateFramework(fw.id)
  for (const offerId of [...fw.offers]) removeOffer(step, offerId, { rescind: false })
  startFailoverTimer(step, fw, fw.info.failover_timeout ?? 0)
  out.publish('FRAMEWORK_UPDATED', { framework: frameworkView(s, fw) })
  maybeAutoTeardown(step, fw)
}

/** The failover timer fired. */
export function failoverExpired(step: Step, frameworkId: string) {
  const fw = step.s.frameworks.get(frameworkId)
  if (!fw || fw.connection === 'connected') return
  log.info(`Framework ${fw.id} did not re-subscribe within its failover timeout; removing it`)
  removeFramework(step, fw)
}

/**
 * meso extension: a framework labelled `meso.io/auto-teardown=idle` (what `meso task run` registers) is removed
 * once it is disconnected and none of its tasks is still running, instead of lingering until its failover timeout.
 */
export function maybeAutoTeardown(step: Step, fw: Framework) {
  if (fw.connected || !step.s.frameworks.has(fw.id)) return
  if (!fw.info.labels?.labels?.some(l => l.key === AUTO_TEARDOWN.key && l.value === AUTO_TEARDOWN.value)) return
  if ([...fw.tasks.values()].some(t => !isTerminal(t.state)) || fw.unreachableTasks.size) return
  log.info(`Framework ${fw.id} is disconnected and idle; tearing it down (${AUTO_TEARDOWN.key})`)
  removeFramework(step, fw)
}

function startFailoverTimer({ out }: Step, fw: Framework, seconds: number) {
  // Timers cap at ~24.8 days; longer timeouts simply never fire within one master run.
  out.startTimer(timerKey.failover(fw.id), Math.min(seconds * 1000, 2 ** 31 - 1), { kind: 'failover', frameworkId: fw.id })
}

function cancelTimers({ out }: Step, fw: Framework) {
  out.cancelTimer(timerKey.failover(fw.id))
  out.cancelTimer(timerKey.heartbeat(fw.id))
}

/** TEARDOWN (scheduler or operator), failover timeout, auto-teardown: kill everything, forget the framework. */
export function removeFramework(step: Step, fw: Framework) {
  const { s, out, now } = step
  if (!s.frameworks.has(fw.id)) return
  log.info(`Removing framework ${fw.id} (${fw.info.name})`)
  cancelTimers(step, fw)
  for (const offerId of [...fw.offers]) removeOffer(step, offerId, { rescind: false })
  // Out of the active set before its tasks are killed: a killed task's status must not start a second removal of
  // the same framework (auto-teardown), which listed the framework twice and counted each task twice over.
  s.frameworks.delete(fw.id)
  for (const agent of s.agents.values()) {
    const touched = agent.executors.has(fw.id) || [...agent.tasks.values()].some(t => t.framework_id.value === fw.id)
    if (touched) out.toAgent(agent, { type: 'SHUTDOWN_FRAMEWORK', framework_id: fw.id })
  }
  // Unreachable tasks end as killed too (Master::removeFramework), so none is left behind in a completed framework.
  for (const task of [...fw.tasks.values(), ...fw.unreachableTasks.values()]) {
    if (!isTerminal(task.state)) {
      applyStatus(step, task, masterStatus(now, task.task_id.value, 'TASK_KILLED', 'REASON_FRAMEWORK_REMOVED', 'Framework removed', { agent_id: task.agent_id }), undefined, false)
    }
    removeTask(step, task, fw)
  }
  for (const agent of s.agents.values()) agent.executors.delete(fw.id)
  fw.executors.clear()
  s.allocator.removeFramework(fw.id)
  out.persist({ op: 'removeFramework', id: fw.id })
  fw.connection = 'disconnected'
  fw.active = false
  fw.unregisteredTime = now / 1000
  s.completedFrameworks.push(fw)
  const max = s.flags.max_completed_frameworks
  if (s.completedFrameworks.length > max) s.completedFrameworks.splice(0, s.completedFrameworks.length - max)
  // The stream just ends: upstream's removeFramework disconnects without an ERROR event, and a scheduler that hears
  // ERROR after its own TEARDOWN reports a failure.
  out.closeStream(fw)
  fw.stream = undefined
  out.publish('FRAMEWORK_REMOVED', { framework_info: fw.info })
  s.metrics.inc('master/frameworks_removed')
  out.allocate()
}

/**
 * UPDATE_FRAMEWORK: new FrameworkInfo, suppressed roles and offer constraints. The edge has refused changes to the
 * id, user, checkpoint and principal (validation/scheduler-call.ts frameworkUpdateError), as upstream does.
 */
export function updateFramework(step: Step, fw: Framework, info: FrameworkInfo, suppressedRoles: string[], constraints: OfferConstraintsFilter = OfferConstraintsFilter.NONE) {
  const { s, out } = step
  const before = JSON.stringify(fw.info)
  fw.info = { ...info, id: { value: fw.id }, user: fw.info.user, checkpoint: fw.info.checkpoint, principal: fw.info.principal }
  fw.suppressedRoles = new Set(suppressedRoles)
  setFrameworkOfferConstraints(fw, constraints)
  s.allocator.updateFramework(fw.id, allocatorSpec(step, fw))
  out.persist({ op: 'putFramework', record: record(fw) })
  // Offers to roles the framework left are rescinded (upstream Master::updateFramework); offers on agents that new
  // constraints exclude stay, as upstream's allocator only applies constraints to the next allocation.
  for (const offerId of [...fw.offers]) {
    const o = s.offers.get(offerId)
    if (o && !fw.roles.includes(o.role)) removeOffer(step, offerId, { rescind: true })
  }
  // Agents and operator subscribers hear about a changed FrameworkInfo (upstream sendFrameworkUpdates).
  if (JSON.stringify(fw.info) !== before) {
    for (const agent of s.agents.values()) {
      if (agent.executors.has(fw.id) || [...agent.tasks.values()].some(t => t.framework_id.value === fw.id)) {
        out.toAgent(agent, { type: 'UPDATE_FRAMEWORK', framework: fw.info })
      }
    }
    out.publish('FRAMEWORK_UPDATED', { framework: frameworkView(s, fw) })
  }
  out.allocate()
}

/** REVIVE: clears decline filters and un-suppresses `roles` (all of the framework's roles when none are named). */
export function revive({ s, out }: Step, fw: Framework, roles: string[] | undefined) {
  for (const r of roles ?? fw.roles) fw.suppressedRoles.delete(r)
  s.allocator.revive(fw.id, roles?.length ? roles : undefined)
  out.allocate()
}

/** SUPPRESS: no offers for `roles` (all of the framework's roles when none are named) until REVIVE. */
export function suppress({ s }: Step, fw: Framework, roles: string[] | undefined) {
  for (const r of roles?.length ? roles : fw.roles) fw.suppressedRoles.add(r)
  s.allocator.suppress(fw.id, roles?.length ? roles : undefined)
}

/** UPDATE_WEIGHTS: role weights for the allocator's fair sharing, kept by the registrar. */
export function updateWeights({ s, out }: Step, weights: Record<string, number>) {
  Object.assign(s.weights, weights)
  out.persist({ op: 'putWeights', weights })
  s.allocator.updateWeights(s.weights)
}

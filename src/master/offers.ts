// The offer book: allocations become offers, and offers end by ACCEPT, DECLINE, rescind (agent lost, operator,
// --offer_timeout) or their framework going away. ACCEPT's accounting (which resources each operation uses, what
// goes back with the call's filter) is decided here; launching the tasks is tasks.ts's. Mesos does the same in
// src/master/master.cpp (Master::offer, Master::accept, Master::decline, Master::removeOffer).

import { offerIdFor } from '../core/ids.ts'
import { logger } from '../core/log.ts'
import { Resources } from '../core/resources.ts'
import { resolveSecrets, secretSites, type SecretLookup, type SecretRefusal, type SecretValues } from '../core/secrets/task-secrets.ts'
import type { ExecutorInfo, Offer, OfferOperation, TaskInfo, TaskState } from '../core/v1/messages.ts'
import { DEFAULT_REFUSE_SECONDS } from './allocator/filters.ts'
import type { Framework } from './framework.ts'
import { timerKey } from './outbox.ts'
import type { RegisteredAgent } from './registered-agent.ts'
import type { OutstandingOffer, Step } from './state.ts'
import { masterStatus } from './task-status.ts'
import { launchTask, launchTaskGroup, rejectTask } from './tasks.ts'
import { applyAcceptedOperation, newLedger, settleAllocation, type OperationAuthorization } from './operations/accept.ts'
import { operationType, SPECULATIVE_TYPES } from './operations/conversions.ts'
import { dropOperation } from './operations/feedback.ts'
import { hasRefinedReservations } from './operations/resource-format.ts'
import { taskVolumeError } from './operations/validation.ts'
import { validateOffers } from './validation/offers.ts'
import { validateTask, validateTaskGroup, type TaskValidationContext } from './validation/task.ts'

const log = logger('master')

/** Runs the allocator and turns its allocations into offers, one OFFERS event per framework. */
export function allocate(step: Step) {
  const { s, out, now } = step
  const result = s.allocator.allocate(now)
  const byFramework = new Map<Framework, Offer[]>()
  for (const a of result) {
    const fw = s.frameworks.get(a.frameworkId)
    const agent = s.agents.get(a.agentId)
    if (!fw || !agent || !fw.connected || !agent.connected) {
      s.allocator.recoverResources(a.frameworkId, a.agentId, a.resources, undefined, now)
      continue
    }
    // Refined reservations have no pre-refinement form: a framework without RESERVATION_REFINEMENT is not offered
    // them (upstream's allocator leaves them out); they go back with a filter for that framework.
    if (!fw.refinement) {
      const refined = a.resources.filter(hasRefinedReservations)
      if (!refined.isEmpty) {
        s.allocator.recoverResources(a.frameworkId, a.agentId, refined, DEFAULT_REFUSE_SECONDS, now)
        a.resources = a.resources.minus(refined)
        if (a.resources.isEmpty) continue
      }
    }
    const id = offerIdFor(s.id, s.nextSequence('offer'))
    const executorIds = [...(fw.executors.get(agent.id)?.keys() ?? [])].map(value => ({ value }))
    const offer: Offer = {
      id: { value: id },
      framework_id: { value: fw.id },
      agent_id: { value: agent.id },
      hostname: agent.hostname,
      url: { scheme: s.scheme, address: { hostname: agent.hostname, ip: agent.address.split(':')[0], port: agent.port }, path: '/slave(1)' },
      resources: a.resources.toWire(fw.refinement),
      allocation_info: { role: a.role },
    }
    if (agent.info.attributes?.length) offer.attributes = agent.info.attributes
    // The agent's machine is scheduled for maintenance (src/master/maintenance/): the offer says when it goes.
    const unavailability = s.maintenance.machineOf(agent)?.unavailability
    if (unavailability) offer.unavailability = unavailability
    if (executorIds.length) offer.executor_ids = executorIds
    s.offers.set(id, { offer, frameworkId: fw.id, agentId: agent.id, role: a.role, resources: a.resources })
    if (s.flags.offer_timeout) out.startTimer(timerKey.offer(id), s.flags.offer_timeout, { kind: 'offerTimeout', offerId: id })
    fw.offers.add(id)
    agent.offers.add(id)
    let list = byFramework.get(fw)
    if (!list) { list = []; byFramework.set(fw, list) }
    list.push(multiRole(fw) ? offer : withoutAllocationInfo(offer))
  }
  for (const [fw, offers] of byFramework) {
    fw.counters.offersSent += offers.length
    out.toFramework(fw, { type: 'OFFERS', offers: { offers } })
  }
}

const multiRole = (fw: Framework) => fw.info.capabilities?.some(c => c.type === 'MULTI_ROLE') ?? false

/**
 * The offer as a framework without MULTI_ROLE sees it: no `allocation_info` on the offer or its resources
 * (MESOS-8237, upstream Master::offer), since such schedulers compare whole Resource messages. The book keeps the
 * stamped offer; what they send back is stamped again on ACCEPT (withAllocationRole, stampConversions).
 */
function withoutAllocationInfo(offer: Offer): Offer {
  const { allocation_info: _, ...rest } = offer
  return { ...rest, resources: (offer.resources ?? []).map(r => { if (!r.allocation_info) return r; const { allocation_info: __, ...plain } = r; return plain }) }
}

/**
 * Takes an offer off the book: `rescind` tells its framework, `recover` (default) gives the resources back to the
 * allocator with `filterSeconds` as a decline filter.
 */
export function removeOffer(step: Step, offerId: string, opts: { rescind: boolean; recover?: boolean; filterSeconds?: number }): OutstandingOffer | undefined {
  const { s, out, now } = step
  const o = s.offers.get(offerId)
  if (!o) return undefined
  if (s.flags.offer_timeout) out.cancelTimer(timerKey.offer(offerId))
  s.offers.delete(offerId)
  const fw = s.frameworks.get(o.frameworkId)
  fw?.offers.delete(offerId)
  s.agents.get(o.agentId)?.offers.delete(offerId)
  if (opts.rescind && fw) {
    fw.counters.offersRescinded++
    out.toFramework(fw, { type: 'RESCIND', rescind: { offer_id: { value: offerId } } })
  }
  if (opts.recover !== false) s.allocator.recoverResources(o.frameworkId, o.agentId, o.resources, opts.filterSeconds, now)
  out.allocate()
  return o
}

/** Rescinds an outstanding offer (tells the framework) and gives its resources back. */
export function rescindOffer(step: Step, offerId: string) {
  removeOffer(step, offerId, { rescind: true })
}

/** Rescinds every outstanding offer of an agent (it went away, or an operator deactivated it). */
export function rescindAgentOffers(step: Step, agent: RegisteredAgent) {
  for (const offerId of [...agent.offers]) rescindOffer(step, offerId)
}

export function decline(step: Step, fw: Framework, offerIds: string[], refuseSeconds: number | undefined) {
  for (const id of offerIds) {
    const o = step.s.offers.get(id)
    if (!o || o.frameworkId !== fw.id) { log.debug(`Ignoring decline of unknown offer ${id} from framework ${fw.id}`); continue }
    fw.counters.offersDeclined++
    removeOffer(step, id, { rescind: false, filterSeconds: clampRefuse(refuseSeconds ?? DEFAULT_REFUSE_SECONDS) })
  }
}

/**
 * RUN_TASK, decided at the API edge (scheduler-api.ts, with the framework's ACLs) and handed in as a pure function:
 * undefined when the task may launch, else why not (docs/security-auth.md).
 */
export type TaskAuthorization = (task: TaskInfo) => string | undefined

/**
 * ACCEPT: the offers are used up whatever happens; each LAUNCH/LAUNCH_GROUP is authorized, validated and paid for
 * out of their pooled resources, and what no operation used goes back to the allocator with the call's filter.
 * Authorization comes first, as in upstream Master::_accept (REASON_TASK_UNAUTHORIZED / _GROUP_UNAUTHORIZED).
 */
export function accept(step: Step, fw: Framework, offerIds: string[], operations: OfferOperation[], refuseSeconds: number | undefined, authorize?: TaskAuthorization, lookupSecret?: SecretLookup, authorizeOperation?: OperationAuthorization) {
  const { s, out, now } = step
  const error = validateOffers(s, fw, offerIds)
  if (error) {
    for (const id of offerIds) {
      const o = s.offers.get(id)
      if (o && o.frameworkId === fw.id) removeOffer(step, id, { rescind: false })
    }
    for (const op of operations) {
      const type = operationType(op)
      if (type !== 'LAUNCH' && type !== 'LAUNCH_GROUP') dropOperation(step, fw, op, type, `Operation attempted with invalid offers: ${error}`)
      for (const task of launchedTasks(op)) {
        const state: TaskState = fw.partitionAware ? 'TASK_DROPPED' : 'TASK_LOST'
        out.toFramework(fw, { type: 'UPDATE', update: { status: masterStatus(now, task.task_id.value, state, 'REASON_INVALID_OFFERS', `Task launched with invalid offers: ${error}`) } })
      }
    }
    log.warn(`ACCEPT from framework ${fw.id} refused: ${error}`)
    return
  }
  const first = s.offers.get(offerIds[0]!)!
  const agent = s.agents.get(first.agentId)!
  const role = first.role
  let pool = Resources.EMPTY
  for (const id of offerIds) {
    const o = removeOffer(step, id, { rescind: false, recover: false })!
    pool = pool.plus(o.resources)
  }
  const offered = pool
  const ledger = newLedger()
  fw.counters.offersAccepted += offerIds.length
  const ctx: TaskValidationContext = {
    frameworkId: fw.id,
    agentId: agent.id,
    taskIdInUse: id => fw.tasks.has(id) || fw.unreachableTasks.has(id),
    existingExecutor: eid => agent.executors.get(fw.id)?.get(eid),
  }
  for (const op of operations) {
    const type = operationType(op)
    if ((type === 'LAUNCH' || type === 'LAUNCH_GROUP') && op.id) {
      for (const t of launchedTasks(op)) rejectTask(step, fw, t, 'REASON_TASK_INVALID', "The 'id' field was set in the offer operation, which is not supported for LAUNCH and LAUNCH_GROUP")
      continue
    }
    if (type === 'LAUNCH') {
      const launched: string[] = []
      for (const task of op.launch?.task_infos ?? []) {
        const denied = authorize?.(task)
        if (denied) { rejectTask(step, fw, task, 'REASON_TASK_UNAUTHORIZED', denied); continue }
        let err = validateTask(task, ctx) ?? taskVolumeError(task.resources)
        const need = err ? Resources.EMPTY : withAllocationRole(task.resources, role).plus(newExecutorResources(fw, agent, task.executor, role))
        if (!err && !pool.contains(need)) err = `Task uses more resources ${need.toString()} than available ${pool.toString()}`
        if (err) { rejectTask(step, fw, task, 'REASON_TASK_INVALID', err); continue }
        // Secrets last (docs/security-secrets.md): the master keeps and forwards the redacted task, the values
        // travel beside it to the agent; an unknown or refused path fails the task naming the path only.
        const resolved = resolveSecrets(task, lookupSecret)
        if ('error' in resolved) { rejectTask(step, fw, task, resolved.reason, `Task ${task.task_id.value}: ${resolved.error}`); continue }
        pool = pool.minus(need)
        launchTask(step, fw, agent, resolved.redacted, role, resolved.values)
        launched.push(task.task_id.value)
      }
      // One line per operation: a framework packing an offer with many tasks would otherwise pay a log write each.
      if (launched.length === 1) log.info(`Launching task ${launched[0]} of framework ${fw.id} on agent ${agent.id} (${agent.hostname})`)
      else if (launched.length) log.info(`Launching tasks [${launched.join(', ')}] of framework ${fw.id} on agent ${agent.id} (${agent.hostname})`)
    } else if (type === 'LAUNCH_GROUP' && op.launch_group) {
      const { executor, task_group } = op.launch_group
      const tasks = task_group.tasks ?? []
      const denied = authorize && tasks.map(t => authorize(t)).find(d => d !== undefined)
      if (denied) { for (const t of tasks) rejectTask(step, fw, t, 'REASON_TASK_GROUP_UNAUTHORIZED', denied); continue }
      let err = validateTaskGroup(executor, tasks, ctx) ?? [...tasks.map(t => t.resources), executor.resources].map(taskVolumeError).find(e => e !== undefined)
      let need = Resources.EMPTY
      if (!err) {
        for (const t of tasks) need = need.plus(withAllocationRole(t.resources, role))
        need = need.plus(newExecutorResources(fw, agent, executor, role))
        if (!pool.contains(need)) err = `Task group uses more resources ${need.toString()} than available ${pool.toString()}`
      }
      if (err) { for (const t of tasks) rejectTask(step, fw, t, 'REASON_TASK_GROUP_INVALID', err); continue }
      // The group's ExecutorInfo is meso's default executor: it has no environment or volumes of its own to put a
      // secret in, so one there is refused rather than dropped; its tasks' secrets are resolved as LAUNCH's.
      const executorSecret = secretSites(executor)[0]
      let refusal: SecretRefusal | undefined = executorSecret ? { error: `a secret at the task group's executor's ${executorSecret.where} is not supported (put it in the tasks)`, reason: 'REASON_TASK_INVALID' } : undefined
      const resolvedTasks: TaskInfo[] = []
      const values: Record<string, SecretValues> = {}
      for (const t of refusal ? [] : tasks) {
        const r = resolveSecrets(t, lookupSecret)
        if ('error' in r) { refusal = { error: `Task ${t.task_id.value}: ${r.error}`, reason: r.reason }; break }
        resolvedTasks.push(r.redacted)
        if (Object.keys(r.values).length) values[t.task_id.value] = r.values
      }
      if (refusal) {
        const reason = refusal.reason === 'REASON_TASK_UNAUTHORIZED' ? 'REASON_TASK_GROUP_UNAUTHORIZED' : 'REASON_TASK_GROUP_INVALID'
        for (const t of tasks) rejectTask(step, fw, t, reason, refusal.error)
        continue
      }
      pool = pool.minus(need)
      launchTaskGroup(step, fw, agent, executor, resolvedTasks, role, values)
    } else if (SPECULATIVE_TYPES.has(type)) {
      // RESERVE, UNRESERVE, CREATE, DESTROY, GROW_VOLUME, SHRINK_VOLUME: applied to the pool and the agent at once,
      // so the operations after them see the result (src/master/operations/accept.ts).
      pool = applyAcceptedOperation(step, fw, agent, role, op, type, pool, ledger, authorizeOperation)
    } else if (type === 'UNKNOWN') {
      log.warn(`Framework ${fw.id}: ignoring unknown operation`)
    } else {
      // CREATE_DISK / DESTROY_DISK need resource providers, which meso agents do not have.
      dropOperation(step, fw, op, type, `Not supported on agent ${agent.id} at ${agent.pid} (${agent.hostname}) because it does not have RESOURCE_PROVIDER capability`)
    }
  }
  // Speculatively converted resources go back without a filter, whatever else the operations did not use with the
  // call's filter.
  pool = settleAllocation(step, fw, agent, role, offered, pool, ledger)
  s.allocator.recoverResources(fw.id, agent.id, pool, clampRefuse(refuseSeconds ?? DEFAULT_REFUSE_SECONDS), now)
  out.allocate()
}

/** Resources of an executor that is not yet running on the agent (they come out of the offer too). */
function newExecutorResources(fw: Framework, agent: RegisteredAgent, executor: ExecutorInfo | undefined, role: string): Resources {
  if (!executor || agent.executors.get(fw.id)?.has(executor.executor_id.value)) return Resources.EMPTY
  return withAllocationRole(executor.resources, role)
}

/** Frameworks without MULTI_ROLE omit allocation_info; Mesos injects the offer's role, and so do we. */
export function withAllocationRole(list: TaskInfo['resources'], role: string): Resources {
  return Resources.of((list ?? []).map(r => (r.allocation_info ? r : { ...r, allocation_info: { role } })))
}

function clampRefuse(s: number | undefined): number | undefined {
  if (s === undefined) return undefined
  if (!(s >= 0)) return 5
  return Math.min(s, 31_536_000)
}

function launchedTasks(op: OfferOperation): TaskInfo[] {
  return [...(op.launch?.task_infos ?? []), ...(op.launch_group?.task_group.tasks ?? [])]
}

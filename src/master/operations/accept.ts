// The speculative operations of an ACCEPT (RESERVE, UNRESERVE, CREATE, DESTROY, GROW_VOLUME, SHRINK_VOLUME), as
// upstream Master::accept / Master::_accept handle them: each is checked, authorized and applied in order to the
// offer's remaining resources (so a RESERVE followed by a LAUNCH can launch on what was just reserved) and to the
// agent's total; the allocator is told once, at the end of the call (`settleAllocation`).

import { logger } from '../../core/log.ts'
import { Resources, type Resource } from '../../core/resources.ts'
import type { Framework } from '../framework.ts'
import { removeOffer } from '../offers.ts'
import { isReleased, type RegisteredAgent } from '../registered-agent.ts'
import { resourcesOf } from '../resource-lists.ts'
import type { Step } from '../state.ts'
import { applyToAgent } from './agent-resources.ts'
import {
  applyConversions, conversionsOf, injectAllocationInfo, upgradeOperation, type Conversion, type SpeculativeOperation,
} from './conversions.ts'
import { dropOperation, operationFinished } from './feedback.ts'
import { formatResources } from './resource-format.ts'
import { agentCapabilities, operationFormatError, validateOperation } from './validation.ts'

const log = logger('master')

/**
 * RESERVE_RESOURCES, UNRESERVE_RESOURCES, CREATE_VOLUME, DESTROY_VOLUME, RESIZE_VOLUME for a framework's operation,
 * decided at the API edge with the framework's ACLs (scheduler-api.ts): undefined when allowed, else why not.
 */
export type OperationAuthorization = (type: string, op: SpeculativeOperation) => string | undefined

/** What one ACCEPT's speculative operations did, for `settleAllocation`. */
export interface AcceptLedger {
  /** Every applied conversion, in order, stamped with the offer's role. */
  readonly conversions: Conversion[]
  /** What GROW_VOLUME / SHRINK_VOLUME produced: kept out of the remaining resources, so nothing else uses it. */
  resized: Resources
}

export const newLedger = (): AcceptLedger => ({ conversions: [], resized: Resources.EMPTY })

/** Upstream stringify(Slave): `<id> at <pid> (<hostname>)`. */
export const describeAgent = (agent: RegisteredAgent) => `${agent.id} at ${agent.pid} (${agent.hostname})`

/** What each framework's tasks and executors use on the agent (upstream Slave::usedResources). */
export function usedByFramework(agent: RegisteredAgent): Resources[] {
  const by = new Map<string, Resources[]>()
  const add = (fid: string, r: Resources) => { let l = by.get(fid); if (!l) by.set(fid, l = []); l.push(r) }
  for (const t of agent.tasks.values()) if (!isReleased(t)) add(t.framework_id.value, resourcesOf(t.resources))
  for (const [fid, execs] of agent.executors) for (const e of execs.values()) add(fid, resourcesOf(e.resources))
  return [...by.values()].map(parts => Resources.sum(parts))
}

/**
 * One speculative operation of an ACCEPT against `remaining` (the offers' resources not yet used, allocated to
 * `role`). Returns what remains after it; an operation that fails is dropped (logged, OPERATION_ERROR when it has an
 * `id`) and leaves `remaining` as it was.
 */
export function applyAcceptedOperation(
  step: Step, fw: Framework, agent: RegisteredAgent, role: string, op: SpeculativeOperation, type: string,
  remaining: Resources, ledger: AcceptLedger, authorize?: OperationAuthorization,
): Resources {
  const formatErr = operationFormatError(op, type)
  if (formatErr) { dropOperation(step, fw, op, type, `Operation attempted with invalid resources: ${formatErr}`); return remaining }
  if (type === 'RESERVE' && op.reserve?.source?.length) {
    dropOperation(step, fw, op, type, 'Operation attempted with invalid resources: Reservation updates are not yet implemented for the scheduler API.')
    return remaining
  }
  const stamped = injectAllocationInfo(upgradeOperation(op), role)
  const invalid = validateOperation(stamped, type, {
    who: { principal: fw.info.principal, framework: { id: fw.id, roles: fw.roles } },
    caps: agentCapabilities(agent.capabilities),
    checkpointed: agent.checkpointed ?? Resources.EMPTY,
    used: () => usedByFramework(agent),
  })
  const refused = invalid ? `${invalid}; on agent ${describeAgent(agent)}` : authorize?.(type, stamped)
  if (refused) { dropOperation(step, fw, op, type, refused); return remaining }

  const conversions = conversionsOf(stamped)
  if ('error' in conversions) { dropOperation(step, fw, op, type, conversions.error); return remaining }

  let next: Resources
  let resized = Resources.EMPTY
  if (type === 'GROW_VOLUME' || type === 'SHRINK_VOLUME') {
    // Not speculative upstream in spirit: what they consume leaves the offer, what they produce is not offered on.
    const { consumed, converted } = conversions[0]!
    if (!remaining.contains(consumed)) {
      dropOperation(step, fw, op, type, `Invalid ${type} operation: ${formatResources(remaining.list)} does not contain ${formatResources(consumed.list)}`)
      return remaining
    }
    next = remaining.minus(consumed)
    resized = converted
  } else {
    const applied = applyConversions(remaining, conversions)
    if ('error' in applied) { dropOperation(step, fw, op, type, applied.error); return remaining }
    next = applied
  }

  if (type === 'DESTROY') {
    // Another outstanding offer holding a volume being destroyed (a shared one) must not be used any more.
    for (const offerId of [...agent.offers]) {
      const offered = step.s.offers.get(offerId)?.resources.unallocated()
      if (offered && (stamped.destroy?.volumes ?? []).some(v => offered.contains(Resources.of([v]).unallocated()))) {
        removeOffer(step, offerId, { rescind: true })
      }
    }
  }

  const agentErr = applyToAgent(step, agent, conversions)
  if (agentErr) { dropOperation(step, fw, op, type, agentErr); return remaining }
  ledger.conversions.push(...conversions)
  ledger.resized = ledger.resized.plus(resized)
  log.info(`Applying ${type} operation${op.id ? ` '${op.id.value}'` : ''} for resources ${formatResources(operationTargets(stamped))} from framework ${fw.id} to agent ${describeAgent(agent)}`)
  operationFinished(step, fw, agent.id, op, convertedResources(conversions, fw.refinement))
  return next
}

function operationTargets(op: SpeculativeOperation): Resource[] {
  return [
    ...(op.reserve?.resources ?? []), ...(op.unreserve?.resources ?? []), ...(op.create?.volumes ?? []), ...(op.destroy?.volumes ?? []),
    ...(op.grow_volume?.volume ? [op.grow_volume.volume] : []), ...(op.shrink_volume?.volume ? [op.shrink_volume.volume] : []),
  ]
}

function convertedResources(conversions: readonly Conversion[], refinement: boolean): Resource[] {
  return Resources.sum(conversions.map(c => c.converted)).toWire(refinement)
}

/**
 * Tells the allocator what the ACCEPT's speculative operations did (upstream updateAllocation plus the two
 * recoveries of Master::_accept): the framework now holds the converted offer instead of the offered one, the
 * agent's total changed, and what remains is split into speculatively converted resources (back without a filter,
 * so a framework that just reserved is offered its reservation at once) and the rest (back with the call's filter).
 * Returns what the caller still has to recover with the filter.
 */
export function settleAllocation(step: Step, fw: Framework, agent: RegisteredAgent, role: string, offered: Resources, remaining: Resources, ledger: AcceptLedger): Resources {
  if (!ledger.conversions.length) return remaining
  const { s, now } = step
  const converted = applyConversions(offered, ledger.conversions)
  s.allocator.recoverResources(fw.id, agent.id, offered, undefined, now)
  s.allocator.updateAgentTotal(agent.id, agent.total)
  if ('error' in converted) {
    // Cannot happen (each conversion applied to a part of the offer); the framework then holds only what it launched.
    log.error(`ACCEPT of framework ${fw.id} on agent ${agent.id}: ${converted.error}`)
  } else {
    s.allocator.recordAllocation(fw.id, agent.id, role, converted)
  }
  const speculative = remaining.plus(ledger.resized).minus(offered)
  s.allocator.recoverResources(fw.id, agent.id, speculative, undefined, now)
  return remaining.minus(speculative)
}

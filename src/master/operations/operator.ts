// Operations an operator applies directly to an agent: RESERVE_RESOURCES, UNRESERVE_RESOURCES, CREATE_VOLUMES,
// DESTROY_VOLUMES, GROW_VOLUME, SHRINK_VOLUME (v1 operator API) and POST /master/reserve, /unreserve,
// /create-volumes, /destroy-volumes (v0). As upstream Master::Http::_reserve … and _operation: validate (400),
// rescind the offers that hold what the operation needs, apply it to what the allocator has available (409 when
// that lacks it), 202 once applied. Authorization (403) is the HTTP edge's (operator-api.ts).

import { logger } from '../../core/log.ts'
import { Resources } from '../../core/resources.ts'
import { removeOffer } from '../offers.ts'
import type { Step } from '../state.ts'
import { applyToAgent } from './agent-resources.ts'
import { describeAgent, usedByFramework } from './accept.ts'
import { applyConversions, conversionsOf, upgradeOperation, type SpeculativeOperation } from './conversions.ts'
import { formatResources } from './resource-format.ts'
import { agentCapabilities, operationFormatError, validateOperation } from './validation.ts'

const log = logger('master')

export type OperatorOutcome = { status: 202 } | { status: 400 | 409; message: string }

/** Upstream's wording of a validation failure, per operation (some name the agent, some do not). */
function invalid(type: string, agentText: string, error: string): string {
  return type === 'UNRESERVE' || type === 'DESTROY' ? `Invalid ${type} operation: ${error}` : `Invalid ${type} operation on agent ${agentText}: ${error}`
}

export function applyOperatorOperation(step: Step, agentId: string, op: SpeculativeOperation, type: string, principal: string | undefined): OperatorOutcome {
  const { s } = step
  const agent = s.agents.get(agentId)
  if (!agent || (agent.state !== 'registered' && agent.state !== 'disconnected')) return { status: 400, message: 'No agent found with specified ID' }
  const formatErr = operationFormatError(op, type)
  if (formatErr) return { status: 400, message: formatErr }
  if (type === 'RESERVE' && op.reserve?.source?.length) {
    return { status: 400, message: `Invalid RESERVE operation on agent ${describeAgent(agent)}: reservation updates ('source') are not supported by meso` }
  }
  const upgraded = upgradeOperation(op)
  const error = validateOperation(upgraded, type, {
    who: principal === undefined ? {} : { principal },
    caps: agentCapabilities(agent.capabilities),
    checkpointed: agent.checkpointed ?? Resources.EMPTY,
    used: () => usedByFramework(agent),
  })
  if (error) return { status: 400, message: invalid(type, describeAgent(agent), error) }
  const conversions = conversionsOf(upgraded)
  if ('error' in conversions) return { status: 400, message: `Invalid ${type} operation: ${conversions.error}` }

  // Rescind, one offer at a time, the offers holding what the operation consumes, until what they gave back is
  // enough (upstream pessimistically assumes the allocator's available resources are gone).
  let required = Resources.sum(conversions.map(c => c.consumed)).unallocated()
  let recovered = Resources.EMPTY
  for (const offerId of [...agent.offers]) {
    const offered = s.offers.get(offerId)?.resources.unallocated()
    if (!offered || required.minus(offered).equals(required)) continue
    recovered = recovered.plus(offered)
    required = required.minus(offered)
    // A 5 s filter, as upstream's Filters(): the operation wins the race against the next allocation.
    removeOffer(step, offerId, { rescind: true, filterSeconds: 5 })
    if (!('error' in applyConversions(recovered, conversions))) break
  }

  const available = applyConversions(s.allocator.agentAvailable(agent.id), conversions)
  if ('error' in available) {
    log.info(`Refusing ${type} on agent ${describeAgent(agent)}: ${available.error}`)
    return { status: 409, message: available.error }
  }
  const agentErr = applyToAgent(step, agent, conversions)
  if (agentErr) return { status: 409, message: agentErr }
  s.allocator.updateAgentTotal(agent.id, agent.total)
  step.out.allocate()
  log.info(`Applied ${type} operation for resources ${formatResources(conversions.flatMap(c => c.converted.list))} from an operator to agent ${describeAgent(agent)}`)
  return { status: 202 }
}

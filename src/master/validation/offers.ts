// Which offers an ACCEPT may use, checked as Mesos' src/master/validation.cpp (offer::validate) does: every offer
// outstanding, the framework's own, all on one connected agent and allocated to one role, none named twice.

import type { Framework } from '../framework.ts'
import type { MasterState } from '../state.ts'

/** Why these offers cannot be accepted together, or undefined when they can. */
export function validateOffers(s: MasterState, fw: Framework, offerIds: string[]): string | undefined {
  if (!offerIds.length) return 'No offers specified'
  const seen = new Set<string>()
  let agentId: string | undefined
  let role: string | undefined
  for (const id of offerIds) {
    if (seen.has(id)) return `Duplicate offer ${id} in offer list`
    seen.add(id)
    const o = s.offers.get(id)
    if (!o) return `Offer ${id} is no longer valid`
    if (o.frameworkId !== fw.id) return `Offer ${id} has invalid framework ${o.frameworkId} while framework ${fw.id} is expected`
    if (agentId !== undefined && o.agentId !== agentId) return 'Aggregated offers must belong to one single agent'
    if (role !== undefined && o.role !== role) return 'Aggregated offers must be allocated to the same role'
    agentId = o.agentId
    role = o.role
    const agent = s.agents.get(o.agentId)
    if (!agent?.connected) return `Offer ${id} is from agent ${o.agentId}, which is not registered`
  }
  return undefined
}

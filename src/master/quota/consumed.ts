// What roles consume as the master reports it (upstream RoleResourceBreakdown::consumedQuota): allocated resources
// plus unallocated reservations of each role and its sub-roles, without outstanding offers. The allocator's own
// figure (`quotaConsumed`) includes offers, because an offer already holds the resources back; UPDATE_QUOTA's limit
// check and `/roles` use this one, as upstream does.

import { addInto, isQuotaResource, positiveDifference, selfAndAncestors } from '../allocator/quota.ts'
import { scalarQuantities } from '../allocator/quantities.ts'
import type { MasterState } from '../state.ts'
import { flatQuantities } from './config.ts'

/** Consumption of each role in `roles`, in one pass over the agents and the outstanding offers. */
export function consumedWithoutOffers(s: MasterState, roles: readonly string[]): Map<string, Map<string, number>> {
  const wanted = new Set(roles)
  const consumed = s.allocator.quotaConsumed(wanted)
  const offered = new Map<string, Map<string, number>>()
  for (const o of s.offers.values()) {
    const q = scalarQuantities(o.resources.filter(isQuotaResource))
    for (const role of selfAndAncestors(o.role)) {
      if (!wanted.has(role)) continue
      let m = offered.get(role)
      if (!m) offered.set(role, m = new Map())
      addInto(m, q)
    }
  }
  const out = new Map<string, Map<string, number>>()
  for (const role of roles) out.set(role, positiveDifference(consumed.get(role) ?? new Map(), offered.get(role)))
  return out
}

/** `/roles`' `quota` object: `{role, guarantee, limit, consumed}` (singular names kept from the legacy QuotaInfo). */
export function roleQuotaV0(s: MasterState, role: string, consumed: ReadonlyMap<string, ReadonlyMap<string, number>>) {
  const q = s.quotas.get(role)
  return { role, guarantee: flatQuantities(q?.guarantees), limit: flatQuantities(q?.limits), consumed: flatQuantities(consumed.get(role)) }
}

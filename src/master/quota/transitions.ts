// The master's quota transition: store the new quotas, persist them, hand them to the allocator, and rescind
// outstanding offers that stand in the way (upstream QuotaHandler::_update, best effort as there): first offers of
// the role and its sub-roles while the role would stay above its limits, then other roles' offers until what the role
// consumes plus what was rescinded covers its guarantees.

import { addInto, containsQuantities, isDefaultQuota, subtractFrom, withinLimits, type Quota } from '../allocator/quota.ts'
import { scalarQuantities } from '../allocator/quantities.ts'
import { rescindOffer } from '../offers.ts'
import type { Step } from '../state.ts'
import { recordOf } from './config.ts'

export interface QuotaChange { role: string; quota: Quota }

export function updateQuotas(step: Step, changes: readonly QuotaChange[]): void {
  const { s, out } = step
  for (const { role, quota } of changes) {
    if (isDefaultQuota(quota)) {
      s.quotas.delete(role)
      out.persist({ op: 'removeQuota', role })
    } else {
      s.quotas.set(role, quota)
      out.persist({ op: 'putQuota', record: recordOf(role, quota) })
    }
    s.allocator.updateQuota(role, quota)
  }
  for (const { role, quota } of changes) rescindForQuota(step, role, quota)
  out.allocate()
}

function rescindForQuota(step: Step, role: string, quota: Quota): void {
  const { s } = step
  const inSubtree = (r: string) => r === role || r.startsWith(`${role}/`)
  // The allocator's consumption already includes what is offered (upstream adds offers to the consumed quota here).
  const consumedAndOffered = () => new Map(s.allocator.quotaConsumed([role]).get(role) ?? [])

  if (quota.limits.size) {
    const used = consumedAndOffered()
    for (const [id, o] of [...s.offers]) {
      if (withinLimits(quota.limits, used)) break
      if (!inSubtree(o.role)) continue
      subtractFrom(used, scalarQuantities(o.resources))
      rescindOffer(step, id)
    }
  }
  if (quota.guarantees.size) {
    const covered = consumedAndOffered()
    for (const [id, o] of [...s.offers]) {
      if (containsQuantities(covered, quota.guarantees)) break
      if (inSubtree(o.role)) continue
      addInto(covered, scalarQuantities(o.resources))
      rescindOffer(step, id)
    }
  }
}

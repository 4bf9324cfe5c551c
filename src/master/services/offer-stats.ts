// Why an app's instances do not start: Marathon's offer statistics per waiting app (its OfferMatchStatistics
// behind /v2/queue): how many offers were looked at, how many were left unused and when, the last offers with
// the reasons each one was declined, and the reason funnels over the last offers (rejectSummaryLastOffers) and
// over the whole launch attempt (rejectSummaryLaunchAttempt). Bounded: the last LAST_OFFERS offers only. Pure.

import type { Resource } from '../../core/resources.ts'
import type { Offer } from '../../core/v1/messages.ts'
import { REASON_FUNNEL, type NoOfferMatchReason } from './offer-match.ts'

/** How many unused offers an app keeps (Marathon's default --max_offer_match_statistics... is 50 per run spec). */
export const LAST_OFFERS = 50

export interface UnusedOffer {
  offer: { id: string; agentId: string; hostname: string; resources: { name: string; scalar?: number; ranges?: { begin: number; end: number }[]; set?: string[]; role: string }[]; attributes: { name: string; text?: string; scalar?: number }[] }
  timestamp: string
  reason: NoOfferMatchReason[]
}

export interface OfferStats {
  since: string
  processed: number
  unused: number
  lastUnusedAt?: string
  lastUsedAt?: string
  /** Offers counted under the first reason (in funnel order) that declined them, over the launch attempt. */
  attempt: Partial<Record<NoOfferMatchReason, number>>
  last: UnusedOffer[]
}

export const newOfferStats = (now: string): OfferStats => ({ since: now, processed: 0, unused: 0, attempt: {}, last: [] })

const firstReason = (reasons: readonly NoOfferMatchReason[]) => REASON_FUNNEL.find(r => reasons.includes(r))

const isEmpty = (r: Resource) => (r.scalar !== undefined && r.scalar.value <= 1e-9) || (r.ranges !== undefined && !(r.ranges.range ?? []).length)

function summarizeOffer(offer: Offer): UnusedOffer['offer'] {
  return {
    id: offer.id.value,
    agentId: offer.agent_id.value,
    hostname: offer.hostname,
    // A remainder keeps what was taken to nothing; it is no part of what was left unused.
    resources: (offer.resources ?? []).filter(r => !isEmpty(r)).map((r: Resource) => ({
      name: r.name,
      ...(r.scalar ? { scalar: r.scalar.value } : {}),
      ...(r.ranges ? { ranges: (r.ranges.range ?? []).map(x => ({ begin: x.begin, end: x.end })) } : {}),
      ...(r.set ? { set: r.set.item ?? [] } : {}),
      role: r.reservations?.length ? r.reservations[r.reservations.length - 1]!.role ?? '*' : r.role ?? '*',
    })),
    attributes: ((offer.attributes ?? []) as any[]).map(a => ({ name: a.name, ...(a.text ? { text: a.text.value } : {}), ...(a.scalar ? { scalar: a.scalar.value } : {}) })),
  }
}

/**
 * An offer that launched tasks of the app. `rest`: the app still wants more and what is left of the offer cannot
 * hold another, for these reasons. Marathon hands that remainder back to the app's launcher in the same round,
 * and its NoMatch counts as one more processed and unused offer; without it an app whose UNIQUE constraint blocks
 * its next instance on the only agent would show one used offer and nothing declined until the agent is offered
 * again (the accept's filter holds the rest back for a while).
 */
export function recordUsed(s: OfferStats, now: string, rest?: { offer: Offer; reasons: NoOfferMatchReason[] }): OfferStats {
  const used = { ...s, processed: s.processed + 1, lastUsedAt: now }
  // No reason found, yet no task fitted: the ports ran out while taking them (offer-match.ts checks counts first).
  return rest ? recordUnused(used, rest.offer, rest.reasons.length ? rest.reasons : ['InsufficientPorts'], now) : used
}

export function recordUnused(s: OfferStats, offer: Offer, reasons: NoOfferMatchReason[], now: string): OfferStats {
  const first = firstReason(reasons)
  const attempt = { ...s.attempt }
  if (first) attempt[first] = (attempt[first] ?? 0) + 1
  const last = [...s.last, { offer: summarizeOffer(offer), timestamp: now, reason: reasons }].slice(-LAST_OFFERS)
  return { ...s, processed: s.processed + 1, unused: s.unused + 1, lastUnusedAt: now, attempt, last }
}

/** Marathon's funnel: each reason with the offers that reached it (processed) and those it declined. */
export function funnel(declinedBy: Partial<Record<NoOfferMatchReason, number>>, total: number): { reason: NoOfferMatchReason; declined: number; processed: number }[] {
  let processed = total
  return REASON_FUNNEL.map(reason => {
    const declined = declinedBy[reason] ?? 0
    const row = { reason, declined, processed }
    processed -= declined
    return row
  })
}

export function processedOffersSummary(s: OfferStats) {
  const lastBy: Partial<Record<NoOfferMatchReason, number>> = {}
  for (const o of s.last) { const f = firstReason(o.reason); if (f) lastBy[f] = (lastBy[f] ?? 0) + 1 }
  return {
    processedOffersCount: s.processed,
    unusedOffersCount: s.unused,
    ...(s.lastUnusedAt ? { lastUnusedOfferAt: s.lastUnusedAt } : {}),
    ...(s.lastUsedAt ? { lastUsedOfferAt: s.lastUsedAt } : {}),
    rejectSummaryLastOffers: funnel(lastBy, s.last.length),
    rejectSummaryLaunchAttempt: funnel(s.attempt, s.processed),
  }
}

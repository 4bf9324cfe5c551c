// "Why not running": an app waiting in the launch queue (GET /v2/queue), said in words — how many instances wait,
// and what the last offers were declined for (Marathon's processedOffersSummary funnel: each reason with the offers
// it declined), each reason with what the app asks that the offers lacked (`UnfulfilledConstraint
// (hostname:UNIQUE)`), and the last unused offers one by one. Pure: queue entries and a clock in, lines out.

import type { AppDefinition, DeclinedOfferStep, QueueItem, UnusedOffer } from '../client/services.ts'

/** What the app asks for that a reason says the offer lacked; undefined when the reason names nothing to add. */
export function reasonDetail(reason: string, app: AppDefinition, role?: string): string | undefined {
  switch (reason) {
    case 'InsufficientCpus': return app.cpus !== undefined ? `needs cpus ${app.cpus}` : undefined
    case 'InsufficientMemory': return app.mem !== undefined ? `needs mem ${app.mem} MB` : undefined
    case 'InsufficientDisk': return app.disk ? `needs disk ${app.disk} MB` : undefined
    case 'InsufficientGpus': return app.gpus ? `needs gpus ${app.gpus}` : undefined
    case 'UnfulfilledConstraint': return app.constraints?.length ? app.constraints.map(c => c.join(':')).join(', ') : undefined
    case 'UnfulfilledRole': return (role ?? app.role) ? `role ${role ?? app.role}` : undefined
    default: return undefined
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** `6 declined InsufficientCpus (needs cpus 2), 4 UnfulfilledConstraint (hostname:UNIQUE)`; '' when none declined. */
export function declinedSummary(steps: readonly DeclinedOfferStep[], app: AppDefinition, role?: string): string {
  const parts = steps.filter(s => s.declined > 0).map((s, i) => {
    const detail = reasonDetail(s.reason, app, role)
    return `${s.declined}${i === 0 ? ' declined' : ''} ${s.reason}${detail ? ` (${detail})` : ''}`
  })
  return parts.join(', ')
}

/** Seconds between an ISO timestamp and `nowMs`, as `12s`, `3m`, `2h`; undefined when unreadable. */
export function sinceText(ts: string | undefined, nowMs: number): string | undefined {
  const t = ts ? Date.parse(ts) : NaN
  if (!Number.isFinite(t)) return undefined
  const s = Math.max(0, Math.round((nowMs - t) / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  return `${Math.floor(s / 3600)}h`
}

/**
 * One line for a waiting app: `waiting: 2 instances; last 10 offers: 6 declined InsufficientCpus (needs cpus 2),
 * 4 UnfulfilledConstraint (hostname:UNIQUE)`, with the backoff when the app is delayed after failures.
 */
export function waitingLine(item: QueueItem, nowMs: number): string {
  const parts = [`waiting: ${plural(item.count, 'instance')}`]
  const delay = item.delay
  if (delay && !delay.overdue && delay.timeLeftSeconds > 0) parts.push(`backing off after failed launches: next try in ${delay.timeLeftSeconds}s`)
  const summary = item.processedOffersSummary
  const last = summary?.rejectSummaryLastOffers ?? []
  const considered = last[0]?.processed ?? 0
  const declined = declinedSummary(last, item.app, item.role)
  if (considered > 0 && declined) parts.push(`last ${plural(considered, 'offer')}: ${declined}`)
  else if (summary && summary.processedOffersCount > 0 && summary.unusedOffersCount > 0) {
    const attempt = declinedSummary(summary.rejectSummaryLaunchAttempt ?? [], item.app, item.role)
    parts.push(`${plural(summary.unusedOffersCount, 'offer')} of ${summary.processedOffersCount} unused${attempt ? `: ${attempt}` : ''}`)
  } else if (!summary || summary.processedOffersCount === 0) {
    const since = sinceText(item.since, nowMs)
    parts.push(`no offer yet${since ? ` in ${since}` : ''} (is an agent with free resources registered?)`)
  } else if (summary.unusedOffersCount === 0) {
    const used = sinceText(summary.lastUsedOfferAt, nowMs)
    parts.push(`no offer declined; ${plural(summary.processedOffersCount, 'offer')} used${used ? `, the last ${used} ago` : ''}, none since`)
  }
  return parts.join('; ')
}

/**
 * The last unused offers, newest first, one line each: `agent HOST (ID): InsufficientCpus, UnfulfilledConstraint,
 * 3s ago`; only the newest offer of each agent, at most `limit`.
 */
export function unusedOfferLines(offers: readonly UnusedOffer[], nowMs: number, limit = 10): string[] {
  const byAgent = new Map<string, UnusedOffer>()
  for (const o of [...offers].sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp))) {
    const key = o.offer.agentId || o.offer.hostname
    if (!byAgent.has(key)) byAgent.set(key, o)
  }
  return [...byAgent.values()].slice(0, limit).map(o => {
    const since = sinceText(o.timestamp, nowMs)
    const agent = o.offer.agentId ? `${o.offer.hostname} (${o.offer.agentId})` : o.offer.hostname
    return `agent ${agent}: ${o.reason.length ? o.reason.join(', ') : 'declined'}${since ? `, ${since} ago` : ''}`
  })
}

/** An instance that waits less than this for its first offers is not yet worth a line while following. */
export const QUIET_WAIT_MS = 5000

/**
 * Whether a waiting app is worth a line while a deployment is followed: offers were declined, it backs off, or it
 * has waited a while for offers (every launch waits a moment for the next offer, which is not news).
 */
export function worthShowing(item: QueueItem, nowMs: number): boolean {
  if (item.count <= 0) return false
  if ((item.processedOffersSummary?.unusedOffersCount ?? 0) > 0) return true
  if (item.delay && !item.delay.overdue && item.delay.timeLeftSeconds > 0) return true
  const since = Date.parse(item.since ?? '')
  return !Number.isFinite(since) || nowMs - since >= QUIET_WAIT_MS
}

/** The queue entry of app `id`, if it waits. */
export function queued(queue: readonly QueueItem[], id: string): QueueItem | undefined {
  return queue.find(q => q.app?.id === id)
}

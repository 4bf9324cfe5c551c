// Whether an offer can hold one more task of an app, and if not why (Marathon's NoOfferMatchReason), and which of
// its resources the task takes (cpus, mem, disk, gpus and host ports). The reasons are checked in the order of
// Marathon's "reason funnel" (its OfferMatchStatistics): an offer is counted once, under the first reason that
// stops it, which is what /v2/queue's rejectSummaryLastOffers adds up. Pure; takeFromOffer mutates the remainder it
// is given, so several tasks can come out of one offer.

import { reservationRole, type Resource } from '../../core/resources.ts'
import type { Offer } from '../../core/v1/messages.ts'
import { hostPortsWanted, type AppDefinition } from './app-definition.ts'
import { failedConstraint, placementOf, type Placement } from './constraints.ts'

/** Marathon's NoOfferMatchReason names, in its funnel order. */
export const REASON_FUNNEL = [
  'UnfulfilledRole', 'UnfulfilledConstraint', 'NoCorrespondingReservationFound', 'AgentMaintenance',
  'InsufficientCpus', 'InsufficientMemory', 'InsufficientDisk', 'InsufficientGpus', 'InsufficientPorts', 'DeclinedScarceResources',
] as const
export type NoOfferMatchReason = typeof REASON_FUNNEL[number]

export interface Match { resources: Resource[]; hostPorts: number[] }

const usableScalar = (r: Resource, name: string) => r.name === name && r.type === 'SCALAR' && !r.disk && !r.revocable && !r.shared && (r.scalar?.value ?? 0) > 1e-9

/** The roles an app's task may take resources of: `*` and its role, or what acceptedResourceRoles allows. */
function acceptedRoles(app: AppDefinition): Set<string> {
  return new Set(app.acceptedResourceRoles ?? ['*', app.role])
}

/** A copy of an offer's resources to take tasks from (takeFromOffer mutates it). */
export function remainderOf(offer: Offer): Resource[] {
  return (offer.resources ?? []).map(r => ({ ...r, ...(r.scalar ? { scalar: { ...r.scalar } } : {}), ...(r.ranges ? { ranges: { range: (r.ranges.range ?? []).map(x => ({ ...x })) } } : {}) }))
}

/** The part of a remainder the app may use (the same objects: taking from it takes from the remainder). */
export function usableBy(remaining: Resource[], app: AppDefinition): Resource[] {
  const roles = acceptedRoles(app)
  return remaining.filter(r => roles.has(reservationRole(r)))
}

function scalarTotal(remaining: Resource[], name: string): number {
  return remaining.filter(r => usableScalar(r, name)).reduce((s, r) => s + r.scalar!.value, 0)
}

function freePorts(remaining: Resource[]): number {
  return remaining.filter(r => r.name === 'ports' && r.type === 'RANGES').reduce((s, r) => s + (r.ranges?.range ?? []).reduce((n, x) => n + x.end - x.begin + 1, 0), 0)
}

const hasPort = (remaining: Resource[], port: number) => remaining.some(r => r.name === 'ports' && (r.ranges?.range ?? []).some(x => x.begin <= port && port <= x.end))

/**
 * Every reason the offer cannot take one more task of `app` (empty when it can), given the placements of the app's
 * live tasks (for constraints) and the offer's remainder for the app.
 */
export function declineReasons(offer: Offer, remaining: Resource[], app: AppDefinition, placed: readonly Placement[], now: number): NoOfferMatchReason[] {
  const out: NoOfferMatchReason[] = []
  const offerRole = offer.allocation_info?.role
  if ((offerRole !== undefined && offerRole !== app.role) || !remaining.length) out.push('UnfulfilledRole')
  if (failedConstraint(placementOf(offer), placed, app.constraints)) out.push('UnfulfilledConstraint')
  const start = offer.unavailability?.start?.nanoseconds
  if (start !== undefined && Number(start) / 1e6 <= now) out.push('AgentMaintenance')
  const short = (name: string, need: number) => need > 0 && scalarTotal(remaining, name) + 1e-9 < need
  if (short('cpus', app.cpus)) out.push('InsufficientCpus')
  if (short('mem', app.mem)) out.push('InsufficientMemory')
  if (short('disk', app.disk)) out.push('InsufficientDisk')
  if (short('gpus', app.gpus)) out.push('InsufficientGpus')
  const ports = hostPortsWanted(app)
  const fixed = ports.filter(p => p !== 0)
  if (freePorts(remaining) < ports.length || !fixed.every(p => hasPort(remaining, p))) out.push('InsufficientPorts')
  // Marathon's --gpu_scheduling_behavior=restricted: an app without GPUs leaves GPU agents to GPU work.
  if (app.gpus === 0 && scalarTotal(remaining, 'gpus') > 0) out.push('DeclinedScarceResources')
  return out
}

function takePort(remaining: Resource[], wanted: number): { port: number; from: Resource } | undefined {
  for (const r of remaining) {
    if (r.name !== 'ports' || r.type !== 'RANGES') continue
    const ranges = r.ranges?.range ?? []
    for (let i = 0; i < ranges.length; i++) {
      const x = ranges[i]!
      const port = wanted === 0 ? x.begin : wanted
      if (port < x.begin || port > x.end) continue
      // Split the range around the taken port.
      const rest = [...(port > x.begin ? [{ begin: x.begin, end: port - 1 }] : []), ...(port < x.end ? [{ begin: port + 1, end: x.end }] : [])]
      ranges.splice(i, 1, ...rest)
      return { port, from: r }
    }
  }
  return undefined
}

/** Takes one task's resources out of `remaining` (call only when declineReasons is empty, ignoring the scarce). */
export function takeFromOffer(remaining: Resource[], app: AppDefinition): Match | undefined {
  const taken: Resource[] = []
  for (const [name, amount] of [['cpus', app.cpus], ['mem', app.mem], ['disk', app.disk], ['gpus', app.gpus]] as [string, number][]) {
    let left = amount
    if (left <= 0) continue
    if (scalarTotal(remaining, name) + 1e-9 < left) return undefined
    for (const r of remaining) {
      if (left <= 1e-9 || !usableScalar(r, name)) continue
      const take = Math.min(left, r.scalar!.value)
      const { ranges: _r, ...rest } = r
      taken.push({ ...rest, scalar: { value: Math.round(take * 1000) / 1000 } })
      r.scalar = { value: Math.round((r.scalar!.value - take) * 1000) / 1000 }
      left -= take
    }
  }
  const hostPorts: number[] = []
  for (const wanted of hostPortsWanted(app)) {
    const got = takePort(remaining, wanted)
    if (!got) return undefined
    hostPorts.push(got.port)
    const { scalar: _s, ...rest } = got.from
    taken.push({ ...rest, ranges: { range: [{ begin: got.port, end: got.port }] } })
  }
  return { resources: taken, hostPorts }
}

// Whether an offer can hold one more task of an app, and if not why (Marathon's NoOfferMatchReason), and which of
// its resources the task takes (cpus, mem, disk, gpus and host ports). The reasons are checked in the order of
// Marathon's "reason funnel" (its OfferMatchStatistics): an offer is counted once, under the first reason that
// stops it, which is what /v2/queue's rejectSummaryLastOffers adds up. Pure; takeFromOffer mutates the remainder it
// is given, so several tasks can come out of one offer.

import { reservationRole, type Resource } from '../../core/resources.ts'
import type { Offer } from '../../core/v1/messages.ts'
import { hostPortsWanted, type AppDefinition } from './app-definition.ts'
import { failedConstraint, placementOf, type Placement } from './constraints.ts'
import { isInstanceReserved } from './resident.ts'

/** Marathon's NoOfferMatchReason names, in its funnel order. */
export const REASON_FUNNEL = [
  'UnfulfilledRole', 'UnfulfilledConstraint', 'NoCorrespondingReservationFound', 'AgentMaintenance',
  'InsufficientCpus', 'InsufficientMemory', 'InsufficientDisk', 'InsufficientGpus', 'InsufficientPorts', 'DeclinedScarceResources',
] as const
export type NoOfferMatchReason = typeof REASON_FUNNEL[number]

export interface Match { resources: Resource[]; hostPorts: number[] }

const usableScalar = (r: Resource, name: string) => r.name === name && r.type === 'SCALAR' && !r.disk && !r.revocable && !r.shared && (r.scalar?.value ?? 0) > 1e-9

/** The roles an app's task may take resources of: `*` and its role, or what acceptedResourceRoles allows. */
function acceptedRoles(app: AppDefinition): string[] {
  return app.acceptedResourceRoles ?? ['*', app.role]
}

/** Apps that may use the same roles see the same part of an offer: the key of that part. */
export function rolesKey(app: AppDefinition): string {
  return acceptedRoles(app).join('\u0000')
}

/** A copy of an offer's resources to take tasks from (takeFromOffer mutates it). */
export function remainderOf(offer: Offer): Resource[] {
  return (offer.resources ?? []).map(r => ({ ...r, ...(r.scalar ? { scalar: { ...r.scalar } } : {}), ...(r.ranges ? { ranges: { range: (r.ranges.range ?? []).map(x => ({ ...x })) } } : {}) }))
}

/**
 * The part of a remainder the app may use (the same objects: taking from it takes from the remainder). Resources
 * reserved for one resident instance (reservation labels) are that instance's only (resident.ts).
 */
export function usableBy(remaining: Resource[], app: AppDefinition): Resource[] {
  const roles = acceptedRoles(app)
  return remaining.filter(r => roles.includes(reservationRole(r)) && !isInstanceReserved(r))
}

function scalarTotal(remaining: Resource[], name: string): number {
  let total = 0
  for (const r of remaining) if (usableScalar(r, name)) total += r.scalar!.value
  return total
}

/** What a remainder holds, in one pass (declineReasons asks for all of it, for every app, for every offer). */
function totals(remaining: Resource[]): { cpus: number; mem: number; disk: number; gpus: number; ports: number } {
  const t = { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: 0 }
  for (const r of remaining) {
    if (r.name === 'ports') {
      if (r.type === 'RANGES') for (const x of r.ranges?.range ?? []) t.ports += x.end - x.begin + 1
    } else if ((r.name === 'cpus' || r.name === 'mem' || r.name === 'disk' || r.name === 'gpus') && usableScalar(r, r.name)) {
      t[r.name] += r.scalar!.value
    }
  }
  return t
}

const hasPort = (remaining: Resource[], port: number) => remaining.some(r => r.name === 'ports' && (r.ranges?.range ?? []).some(x => x.begin <= port && port <= x.end))

/**
 * Every reason the offer cannot take one more task of `app` (empty when it can), given the placements of the app's
 * live tasks (for constraints) and the offer's remainder for the app.
 */
export function declineReasons(offer: Offer, remaining: Resource[], app: AppDefinition, placed: readonly Placement[], now: number, placement?: Placement): NoOfferMatchReason[] {
  const out: NoOfferMatchReason[] = []
  const offerRole = offer.allocation_info?.role
  if ((offerRole !== undefined && offerRole !== app.role) || !remaining.length) out.push('UnfulfilledRole')
  if (app.constraints.length && failedConstraint(placement ?? placementOf(offer), placed, app.constraints)) out.push('UnfulfilledConstraint')
  const start = offer.unavailability?.start?.nanoseconds
  if (start !== undefined && Number(start) / 1e6 <= now) out.push('AgentMaintenance')
  const t = totals(remaining)
  const short = (have: number, need: number) => need > 0 && have + 1e-9 < need
  if (short(t.cpus, app.cpus)) out.push('InsufficientCpus')
  if (short(t.mem, app.mem)) out.push('InsufficientMemory')
  if (short(t.disk, app.disk)) out.push('InsufficientDisk')
  if (short(t.gpus, app.gpus)) out.push('InsufficientGpus')
  const ports = hostPortsWanted(app)
  if (t.ports < ports.length || !ports.every(p => p === 0 || hasPort(remaining, p))) out.push('InsufficientPorts')
  // Marathon's --gpu_scheduling_behavior=restricted: an app without GPUs leaves GPU agents to GPU work.
  if (app.gpus === 0 && t.gpus > 0) out.push('DeclinedScarceResources')
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

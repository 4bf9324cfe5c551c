// Quota as the allocator sees it (Mesos 1.9+ `Quota`: guarantees and limits, scalar quantities only), and the
// quantity arithmetic the two-stage allocation needs. Pure: no allocator state here, so each rule can be tested alone.
//
// A role's consumed quota is what counts against it (upstream `quotaOfferedOrConsumed`): every reservation of the role
// or one of its sub-roles, offered or not, plus the unreserved non-revocable scalars its frameworks (and those of its
// sub-roles) hold, offered or in use. Reservations count whether used or not because they are bound to the role.

import { reservationRole, type Resource, Resources } from '../../core/resources.ts'
import type { ScalarQuantities } from './quantities.ts'

export interface Quota {
  /** What the role is guaranteed; absent names guarantee nothing. */
  readonly guarantees: ScalarQuantities
  /** The most the role may consume; absent names are unlimited. */
  readonly limits: ScalarQuantities
}

export const NO_QUOTA: Quota = { guarantees: new Map(), limits: new Map() }

const round3 = (v: number) => Math.round(v * 1000) / 1000

export function isDefaultQuota(q: Quota): boolean {
  return q.guarantees.size === 0 && q.limits.size === 0
}

/** `a/b/c` → `a/b/c`, `a/b`, `a`: the role itself and its ancestors. */
export function selfAndAncestors(role: string): string[] {
  const out = [role]
  for (let i = role.lastIndexOf('/'); i > 0; i = role.lastIndexOf('/', i - 1)) out.push(role.slice(0, i))
  return out
}

/** Resources whose quantity can raise a role's consumption when allocated: unreserved, non-revocable scalars. */
export function isQuotaResource(r: Resource): boolean {
  return r.type === 'SCALAR' && reservationRole(r) === '*' && r.revocable === undefined
}

export function addInto(into: Map<string, number>, q: ScalarQuantities): void {
  for (const [name, v] of q) into.set(name, round3((into.get(name) ?? 0) + v))
}

/** `a − b` with non-positive results dropped (upstream ResourceQuantities subtraction). */
export function positiveDifference(a: ScalarQuantities, b: ScalarQuantities | undefined): Map<string, number> {
  const out = new Map<string, number>()
  for (const [name, v] of a) {
    const d = round3(v - (b?.get(name) ?? 0))
    if (d > 0) out.set(name, d)
  }
  return out
}

/** Subtracts in place, dropping what reaches zero. */
export function subtractFrom(from: Map<string, number>, q: ScalarQuantities): void {
  for (const [name, v] of q) {
    const have = from.get(name)
    if (have === undefined) continue
    const d = round3(have - v)
    if (d > 0) from.set(name, d)
    else from.delete(name)
  }
}

/**
 * What is left under limits after `consumed`: limited names only (absent names stay unlimited), never below zero.
 * Upstream `ResourceLimits - ResourceQuantities`.
 */
export function limitRoom(limits: ScalarQuantities, consumed: ScalarQuantities | undefined): Map<string, number> {
  const out = new Map<string, number>()
  for (const [name, v] of limits) out.set(name, Math.max(0, round3(v - (consumed?.get(name) ?? 0))))
  return out
}

/** Whether every quantity in `q` is within `limits` (names absent from `limits` are unlimited). */
export function withinLimits(limits: ScalarQuantities, q: ScalarQuantities): boolean {
  for (const [name, v] of q) {
    const l = limits.get(name)
    if (l !== undefined && round3(v - l) > 0) return false
  }
  return true
}

/** Whether `have` holds at least every quantity in `want`. */
export function containsQuantities(have: ScalarQuantities, want: ScalarQuantities): boolean {
  for (const [name, v] of want) if (round3((have.get(name) ?? 0) - v) < 0) return false
  return true
}

/** A MOUNT disk or a persistent volume cannot be split (upstream `Resources::shrink` refuses). */
function shrinkable(r: Resource): boolean {
  const disk = r.disk as { persistence?: unknown; source?: { type?: string } } | undefined
  return !disk || (disk.persistence === undefined && disk.source?.type !== 'MOUNT')
}

/**
 * Shrinks scalar `resources` down to `target` (upstream `shrinkResources`). `absent` says what a name missing from
 * `target` means: 'drop' for quantities (nothing of it), 'keep' for limits (no limit). Entries are visited in their
 * stored order, not shuffled as upstream does, so allocations stay reproducible under a seeded random.
 */
export function shrinkTo(resources: Resources, target: ScalarQuantities, absent: 'drop' | 'keep'): Resources {
  if (resources.isEmpty) return resources
  const left = new Map(target)
  const out: Resource[] = []
  let changed = false
  for (const r of resources.list) {
    const room = left.get(r.name)
    if (room === undefined) {
      if (absent === 'keep') out.push(r)
      else changed = true
      continue
    }
    const v = r.scalar?.value ?? 0
    if (round3(v - room) <= 0) {
      out.push(r)
      left.set(r.name, round3(room - v))
    } else {
      changed = true
      if (room > 0 && shrinkable(r)) {
        out.push({ ...r, scalar: { value: room } })
        left.set(r.name, 0)
      }
    }
  }
  return changed ? Resources.of(out) : resources
}

/**
 * Consumed quota of each role in `roles` (see the top of this file), from every agent's total (for reservations)
 * and holdings (for unreserved allocations). A resource counts for its role and each of that role's ancestors.
 */
export function consumedQuota(
  roles: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  agents: Iterable<{ readonly total: Resources; readonly holdings: readonly { readonly role: string; readonly resources: Resources }[] }>,
): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>()
  if (roles.size === 0) return out
  const add = (role: string, r: Resource) => {
    const v = r.scalar?.value ?? 0
    if (v <= 0) return
    for (const x of selfAndAncestors(role)) {
      if (!roles.has(x)) continue
      let m = out.get(x)
      if (!m) out.set(x, m = new Map())
      m.set(r.name, round3((m.get(r.name) ?? 0) + v))
    }
  }
  for (const agent of agents) {
    for (const r of agent.total.list) {
      if (r.type !== 'SCALAR') continue
      const reserved = reservationRole(r)
      if (reserved !== '*') add(reserved, r)
    }
    for (const h of agent.holdings) {
      for (const r of h.resources.list) if (isQuotaResource(r)) add(h.role, r)
    }
  }
  return out
}

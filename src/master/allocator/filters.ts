// Offer filters: after a framework declines resources (or leaves part of an offer unused) it asks not to be offered
// them again on that agent, for that role, for `refuse_seconds`. As in Mesos' RefusedOfferFilter, a filter refuses a
// new offer when the refused resources contain everything that would be offered; an offer with anything more (say,
// resources freed since) goes through. Time is passed in; expiry happens when `expire(now)` is called.

import type { Resources } from '../../core/resources.ts'

/** `Filters.refuse_seconds` default in mesos.proto. */
export const DEFAULT_REFUSE_SECONDS = 5
/** Mesos caps filters at 365 days. */
export const MAX_REFUSE_SECONDS = 31_536_000

/**
 * How long a decline filter lasts, as Mesos reads `Filters.refuse_seconds`: absent, negative or not a number → the
 * default 5 s; more than a year → a year. 0 means "no filter".
 */
export function refuseSeconds(value: number | undefined): number {
  if (value === undefined || Number.isNaN(value) || value < 0) return DEFAULT_REFUSE_SECONDS
  return Math.min(value, MAX_REFUSE_SECONDS)
}

export interface OfferFilter {
  readonly frameworkId: string
  readonly role: string
  readonly agentId: string
  /** Refused resources, without allocation info. */
  readonly resources: Resources
  readonly expiresAt: number
}

interface Entry extends OfferFilter { live: boolean }

type ByAgent = Map<string, Entry[]>
type ByRole = Map<string, ByAgent>

export class OfferFilters {
  private readonly byFramework = new Map<string, ByRole>()
  /** Min-heap on `expiresAt`. Removed filters stay in it, marked dead, until popped or compacted. */
  private heap: Entry[] = []
  private readonly perRole = new Map<string, number>()
  private live = 0

  add(frameworkId: string, role: string, agentId: string, resources: Resources, expiresAt: number): OfferFilter {
    const e: Entry = { frameworkId, role, agentId, resources, expiresAt, live: true }
    let byRole = this.byFramework.get(frameworkId)
    if (!byRole) this.byFramework.set(frameworkId, byRole = new Map())
    let byAgent = byRole.get(role)
    if (!byAgent) byRole.set(role, byAgent = new Map())
    const list = byAgent.get(agentId)
    if (list) list.push(e)
    else byAgent.set(agentId, [e])
    this.perRole.set(role, (this.perRole.get(role) ?? 0) + 1)
    this.live++
    this.heapPush(e)
    return e
  }

  /** True when a filter still in force at `now` refuses offering `resources` (without allocation info). */
  isFiltered(frameworkId: string, role: string, agentId: string, resources: Resources, now: number): boolean {
    const list = this.byFramework.get(frameworkId)?.get(role)?.get(agentId)
    if (!list) return false
    for (const f of list) if (now < f.expiresAt && f.resources.contains(resources)) return true
    return false
  }

  /** Drops every filter whose time is up at `now`; returns how many. */
  expire(now: number): number {
    let n = 0
    while (this.heap.length && this.heap[0]!.expiresAt <= now) {
      const e = this.heapPop()
      if (e.live) { this.drop(e); n++ }
    }
    return n
  }

  /** When the earliest filter expires, so a caller can plan an allocation then. */
  nextExpiry(): number | undefined {
    while (this.heap.length && !this.heap[0]!.live) this.heapPop()
    return this.heap[0]?.expiresAt
  }

  /** Removes a framework's filters, for the given roles or for all of them. */
  removeFramework(frameworkId: string, roles?: Iterable<string>): void {
    const byRole = this.byFramework.get(frameworkId)
    if (!byRole) return
    for (const role of roles ?? [...byRole.keys()]) {
      const byAgent = byRole.get(role)
      if (!byAgent) continue
      for (const list of [...byAgent.values()]) for (const e of [...list]) this.drop(e)
    }
  }

  removeAgent(agentId: string): void {
    for (const byRole of [...this.byFramework.values()]) {
      for (const byAgent of [...byRole.values()]) {
        const list = byAgent.get(agentId)
        if (list) for (const e of [...list]) this.drop(e)
      }
    }
  }

  /** Filters in force (not yet expired by `expire`), for one role or all. */
  count(role?: string): number {
    return role === undefined ? this.live : this.perRole.get(role) ?? 0
  }

  list(frameworkId?: string): OfferFilter[] {
    const out: OfferFilter[] = []
    for (const [fid, byRole] of this.byFramework) {
      if (frameworkId !== undefined && fid !== frameworkId) continue
      for (const byAgent of byRole.values()) for (const l of byAgent.values()) out.push(...l)
    }
    return out
  }

  private drop(e: Entry): void {
    if (!e.live) return
    e.live = false
    this.live--
    const n = (this.perRole.get(e.role) ?? 1) - 1
    if (n > 0) this.perRole.set(e.role, n)
    else this.perRole.delete(e.role)
    const byRole = this.byFramework.get(e.frameworkId)!
    const byAgent = byRole.get(e.role)!
    const list = byAgent.get(e.agentId)!
    list.splice(list.indexOf(e), 1)
    if (list.length === 0) byAgent.delete(e.agentId)
    if (byAgent.size === 0) byRole.delete(e.role)
    if (byRole.size === 0) this.byFramework.delete(e.frameworkId)
    // Dead entries with far-off expiry (REVIVE after a long refuse) would otherwise pile up in the heap.
    if (this.heap.length > 1024 && this.heap.length > 2 * this.live) this.compactHeap()
  }

  private compactHeap(): void {
    const liveEntries = this.heap.filter(e => e.live)
    this.heap = []
    for (const e of liveEntries) this.heapPush(e)
  }

  private heapPush(e: Entry): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (h[p]!.expiresAt <= e.expiresAt) break
      h[i] = h[p]!
      i = p
    }
    h[i] = e
  }

  private heapPop(): Entry {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    if (h.length) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= h.length) break
        const r = l + 1
        const c = r < h.length && h[r]!.expiresAt < h[l]!.expiresAt ? r : l
        if (h[c]!.expiresAt >= last.expiresAt) break
        h[i] = h[c]!
        i = c
      }
      h[i] = last
    }
    return top
  }
}

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

interface Entry extends OfferFilter {
  live: boolean
  /**
   * Whether `isFiltered` needs to look at it. A filter is shadowed, and left out of the lookup, when another one of
   * the same framework, role and agent refuses at least as much for at least as long: whenever it would refuse, so
   * does that one. A framework that accepts part of every offer on a busy agent installs the same filter (what its
   * tasks left) again and again; without this the lookup grew with every accept within `refuse_seconds`.
   */
  indexed: boolean
}

export class OfferFilters {
  /**
   * By agent first: the allocation loop asks about every agent it offers, and most agents have no filter at all, so
   * one failed lookup answers most questions. Only filters not shadowed by another (`Entry.indexed`).
   */
  private readonly byAgent = new Map<string, Entry[]>()
  /** Every live filter by agent, shadowed ones included, for `removeAgent`. */
  private readonly allByAgent = new Map<string, Set<Entry>>()
  private readonly byFramework = new Map<string, Set<Entry>>()
  /** Min-heap on `expiresAt`. Removed filters stay in it, marked dead, until popped or compacted. */
  private heap: Entry[] = []
  private readonly perRole = new Map<string, number>()
  private live = 0

  add(frameworkId: string, role: string, agentId: string, resources: Resources, expiresAt: number): OfferFilter {
    const e: Entry = { frameworkId, role, agentId, resources, expiresAt, live: true, indexed: true }
    const list = this.byAgent.get(agentId)
    if (list) this.index(list, e)
    else this.byAgent.set(agentId, [e])
    const all = this.allByAgent.get(agentId)
    if (all) all.add(e)
    else this.allByAgent.set(agentId, new Set([e]))
    const set = this.byFramework.get(frameworkId)
    if (set) set.add(e)
    else this.byFramework.set(frameworkId, new Set([e]))
    this.perRole.set(role, (this.perRole.get(role) ?? 0) + 1)
    this.live++
    this.heapPush(e)
    return e
  }

  /** True when a filter still in force at `now` refuses offering `resources` (without allocation info). */
  isFiltered(frameworkId: string, role: string, agentId: string, resources: Resources, now: number): boolean {
    const list = this.byAgent.get(agentId)
    if (!list) return false
    for (const f of list) {
      if (f.frameworkId === frameworkId && f.role === role && now < f.expiresAt && f.resources.contains(resources)) {
        return true
      }
    }
    return false
  }

  /**
   * Drops every filter whose time is up at `now`; returns how many. `onExpired` hears of each, so the allocator can
   * look at those agents again.
   */
  expire(now: number, onExpired?: (f: OfferFilter) => void): number {
    let n = 0
    while (this.heap.length && this.heap[0]!.expiresAt <= now) {
      const e = this.heapPop()
      if (e.live) { this.drop(e); n++; onExpired?.(e) }
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
    const set = this.byFramework.get(frameworkId)
    if (!set) return
    const only = roles === undefined ? undefined : new Set(roles)
    for (const e of [...set]) if (!only || only.has(e.role)) this.drop(e)
  }

  removeAgent(agentId: string): void {
    for (const e of [...this.allByAgent.get(agentId) ?? []]) this.drop(e)
  }

  /** Filters in force (not yet expired by `expire`), for one role or all. */
  count(role?: string): number {
    return role === undefined ? this.live : this.perRole.get(role) ?? 0
  }

  list(frameworkId?: string): OfferFilter[] {
    if (frameworkId !== undefined) return [...this.byFramework.get(frameworkId) ?? []]
    const out: OfferFilter[] = []
    for (const set of this.byFramework.values()) out.push(...set)
    return out
  }

  private drop(e: Entry): void {
    if (!e.live) return
    e.live = false
    this.live--
    const n = (this.perRole.get(e.role) ?? 1) - 1
    if (n > 0) this.perRole.set(e.role, n)
    else this.perRole.delete(e.role)
    if (e.indexed) {
      const list = this.byAgent.get(e.agentId)!
      list.splice(list.indexOf(e), 1)
      if (list.length === 0) this.byAgent.delete(e.agentId)
    }
    const all = this.allByAgent.get(e.agentId)!
    all.delete(e)
    if (all.size === 0) this.allByAgent.delete(e.agentId)
    const set = this.byFramework.get(e.frameworkId)!
    set.delete(e)
    if (set.size === 0) this.byFramework.delete(e.frameworkId)
    // Dead entries with far-off expiry (REVIVE after a long refuse) would otherwise pile up in the heap.
    if (this.heap.length > 1024 && this.heap.length > 2 * this.live) this.compactHeap()
  }

  /**
   * Adds a filter to its agent's lookup list unless one there shadows it; takes out those it shadows. Shadowed
   * filters stay live (counted, listed, expired in their time): only the lookup skips them.
   */
  private index(list: Entry[], e: Entry): void {
    for (const f of list) {
      if (f.frameworkId === e.frameworkId && f.role === e.role && f.expiresAt >= e.expiresAt && f.resources.contains(e.resources)) {
        e.indexed = false
        return
      }
    }
    let kept = 0
    for (const f of list) {
      if (f.frameworkId === e.frameworkId && f.role === e.role && f.expiresAt <= e.expiresAt && e.resources.contains(f.resources)) {
        f.indexed = false
      } else {
        list[kept++] = f
      }
    }
    list.length = kept
    list.push(e)
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

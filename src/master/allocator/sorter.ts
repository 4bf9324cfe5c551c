// Dominant Resource Fairness: orders clients (roles, or the frameworks inside one role) by how much of the cluster's
// scarcest-for-them resource they hold, divided by their weight. Kept apart from the allocation loop so the policy
// can be tested and benchmarked on its own, as in Mesos (`sorter/drf/sorter.cpp`).
//
// Unlike Mesos 1.x, which marks itself dirty on every allocation and re-sorts everything on the next `sort()`, this
// sorter keeps its order up to date incrementally: an allocation recomputes one client's share and moves that client
// to its new place. Only a change of the totals, which moves every share, makes it re-sort from scratch, and that is
// put off until the order is next read. Shares count every scalar in the total (cpus, mem, disk, gpus, custom
// scalars), as Mesos does; ranges and sets (ports) never count.

import type { ScalarQuantities } from './quantities.ts'

interface Client {
  readonly name: string
  weight: number
  active: boolean
  /** Allocated amount per interned resource name (index into `names`); missing entries are 0. */
  readonly alloc: number[]
  /** Weighted dominant share; only trustworthy while the sorter is not dirty. */
  share: number
}

const round3 = (v: number) => Math.round(v * 1000) / 1000

/** Ascending share, then client name, so that equal shares still give one deterministic order. */
function before(a: Client, b: Client): boolean {
  return a.share < b.share || (a.share === b.share && a.name < b.name)
}

function compare(a: Client, b: Client): number {
  return before(a, b) ? -1 : before(b, a) ? 1 : 0
}

export class DRFSorter {
  private readonly clients = new Map<string, Client>()
  private readonly nameIndex = new Map<string, number>()
  private readonly names: string[] = []
  private readonly totals: number[] = []
  /** Active clients in DRF order, and their names in the same order (what callers iterate). */
  private order: Client[] = []
  private orderNames: string[] = []
  /** Shares and `order` must be rebuilt before they are read. */
  private dirty = false

  get size(): number { return this.clients.size }

  contains(client: string): boolean { return this.clients.has(client) }

  add(client: string, opts: { weight?: number; active?: boolean } = {}): void {
    if (this.clients.has(client)) throw new Error(`sorter already has client '${client}'`)
    const c: Client = { name: client, weight: checkWeight(opts.weight ?? 1), active: false, alloc: [], share: 0 }
    this.clients.set(client, c)
    if (opts.active ?? true) this.activate(client)
  }

  remove(client: string): void {
    const c = this.clients.get(client)
    if (!c) return
    this.deactivate(client)
    this.clients.delete(client)
  }

  activate(client: string): void {
    const c = this.mustGet(client)
    if (c.active) return
    c.active = true
    if (this.dirty) return
    c.share = this.computeShare(c)
    this.insert(c)
  }

  deactivate(client: string): void {
    const c = this.clients.get(client)
    if (!c || !c.active) return
    if (!this.dirty) this.removeAt(this.indexOf(c))
    c.active = false
  }

  isActive(client: string): boolean { return this.clients.get(client)?.active ?? false }

  updateWeight(client: string, weight: number): void {
    const c = this.mustGet(client)
    c.weight = checkWeight(weight)
    this.reshare(c)
  }

  weight(client: string): number { return this.mustGet(client).weight }

  addTotal(q: ScalarQuantities): void { this.changeTotal(q, 1) }
  removeTotal(q: ScalarQuantities): void { this.changeTotal(q, -1) }

  /** The cluster total this sorter divides by. */
  total(): Map<string, number> { return this.toMap(this.totals) }

  allocated(client: string, q: ScalarQuantities): void { this.changeAllocation(this.mustGet(client), q, 1) }

  /** Gives back what the client held; amounts never go below zero. */
  unallocated(client: string, q: ScalarQuantities): void { this.changeAllocation(this.mustGet(client), q, -1) }

  allocation(client: string): Map<string, number> { return this.toMap(this.mustGet(client).alloc) }

  /** Weighted dominant share: max over scalar names of allocated/total, divided by the client's weight. */
  share(client: string): number {
    const c = this.mustGet(client)
    return this.dirty ? this.computeShare(c) : c.share
  }

  /** Active clients, lowest share first. A copy: safe to keep while the sorter changes. */
  sort(): string[] { return [...this.sorted()] }

  /**
   * Active clients, lowest share first, without copying. The array is the sorter's own and changes with the next
   * mutation of this sorter, so finish iterating before calling `allocated`, `activate`, etc.
   */
  sorted(): readonly string[] {
    if (this.dirty) this.rebuild()
    return this.orderNames
  }

  private mustGet(client: string): Client {
    const c = this.clients.get(client)
    if (!c) throw new Error(`sorter has no client '${client}'`)
    return c
  }

  private indexFor(name: string): number {
    let i = this.nameIndex.get(name)
    if (i === undefined) {
      i = this.names.length
      this.names.push(name)
      this.totals.push(0)
      this.nameIndex.set(name, i)
    }
    return i
  }

  private toMap(values: readonly number[]): Map<string, number> {
    const out = new Map<string, number>()
    for (let i = 0; i < values.length; i++) if ((values[i] ?? 0) > 0) out.set(this.names[i]!, values[i]!)
    return out
  }

  private changeTotal(q: ScalarQuantities, sign: 1 | -1): void {
    if (q.size === 0) return
    for (const [name, v] of q) {
      const i = this.indexFor(name)
      this.totals[i] = Math.max(0, round3(this.totals[i]! + sign * v))
    }
    // Every share moves with the total; recompute them all once, when the order is next needed.
    this.dirty = true
  }

  private changeAllocation(c: Client, q: ScalarQuantities, sign: 1 | -1): void {
    if (q.size === 0) return
    for (const [name, v] of q) {
      const i = this.indexFor(name)
      while (c.alloc.length <= i) c.alloc.push(0)
      c.alloc[i] = Math.max(0, round3(c.alloc[i]! + sign * v))
    }
    this.reshare(c)
  }

  /**
   * Recomputes one client's share and moves it to its new place in the order, shifting the clients in between by
   * one (no allocation: this runs for every offer).
   */
  private reshare(c: Client): void {
    if (this.dirty) return
    if (!c.active) { c.share = this.computeShare(c); return }
    const order = this.order
    const names = this.orderNames
    let i = this.indexOf(c)
    c.share = this.computeShare(c)
    while (i + 1 < order.length && before(order[i + 1]!, c)) {
      order[i] = order[i + 1]!
      names[i] = names[i + 1]!
      i++
    }
    while (i > 0 && before(c, order[i - 1]!)) {
      order[i] = order[i - 1]!
      names[i] = names[i - 1]!
      i--
    }
    order[i] = c
    names[i] = c.name
  }

  private computeShare(c: Client): number {
    let share = 0
    const n = Math.min(c.alloc.length, this.totals.length)
    for (let i = 0; i < n; i++) {
      const total = this.totals[i]!
      if (total > 0) {
        const s = c.alloc[i]! / total
        if (s > share) share = s
      }
    }
    return share / c.weight
  }

  /** Position of an active client in `order`, found by its (share, name) key. */
  private indexOf(c: Client): number {
    let lo = 0
    let hi = this.order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (before(this.order[mid]!, c)) lo = mid + 1
      else hi = mid
    }
    if (this.order[lo] !== c) throw new Error(`sorter order lost client '${c.name}'`)
    return lo
  }

  private insert(c: Client): void {
    let lo = 0
    let hi = this.order.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (before(this.order[mid]!, c)) lo = mid + 1
      else hi = mid
    }
    this.order.splice(lo, 0, c)
    this.orderNames.splice(lo, 0, c.name)
  }

  private removeAt(i: number): void {
    this.order.splice(i, 1)
    this.orderNames.splice(i, 1)
  }

  private rebuild(): void {
    const active: Client[] = []
    for (const c of this.clients.values()) {
      c.share = this.computeShare(c)
      if (c.active) active.push(c)
    }
    active.sort(compare)
    this.order = active
    this.orderNames = active.map(c => c.name)
    this.dirty = false
  }
}

function checkWeight(w: number): number {
  if (!(w > 0) || !Number.isFinite(w)) throw new RangeError(`weight must be a positive number, got ${w}`)
  return w
}

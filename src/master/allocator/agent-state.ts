// One agent as the allocator sees it: its total, what frameworks hold on it (offered or in use, per framework and
// role), and what is left. `available` and its quantities are cached because the allocation loop reads them for every
// agent on every cycle while they only change when something is allocated or recovered.

import { Resources } from '../../core/resources.ts'
import { scalarQuantities, type ScalarQuantities } from './quantities.ts'
import { isAllocatableTo, isReserved } from './reservations.ts'

/**
 * What one framework holds on one agent for one role (offered or in use), without allocation info. The same object
 * is indexed by the agent and by the framework, so an update through either is seen by both.
 */
export interface Holding {
  readonly frameworkId: string
  readonly agentId: string
  readonly role: string
  resources: Resources
}

const NOTHING: ScalarQuantities = new Map()

export class AgentState {
  hostname: string | undefined
  active = true
  /**
   * Everything held here. Frameworks the allocator does not know yet (learnt from a re-registering agent before the
   * framework re-subscribed) are included: they still use the agent. A short array: an agent rarely serves many
   * frameworks at once, and scanning a few entries beats allocating a map per offer.
   */
  readonly holdings: Holding[] = []

  private _total: Resources
  private _totalQuantities: ScalarQuantities
  private _totalReserved: boolean
  private _gpus: number
  private _allocated: Resources = Resources.EMPTY
  private _available: Resources | null = null
  private _availableQuantities: ScalarQuantities | null = null
  private _availableReserved: boolean | null = null

  constructor(readonly id: string, total: Resources, hostname?: string) {
    this._total = total.unallocated()
    this._totalQuantities = scalarQuantities(this._total)
    this._totalReserved = this._total.list.some(isReserved)
    this._gpus = this._total.scalar('gpus')
    this.hostname = hostname
  }

  get total(): Resources { return this._total }
  get totalQuantities(): ScalarQuantities { return this._totalQuantities }
  get gpus(): number { return this._gpus }
  get allocated(): Resources { return this._allocated }

  /** total − allocated. */
  get available(): Resources {
    if (this._available === null) this._available = this._total.minus(this._allocated)
    return this._available
  }

  availableQuantities(): ScalarQuantities {
    if (this._availableQuantities === null) {
      this._availableQuantities = this._allocated.isEmpty ? this._totalQuantities : scalarQuantities(this.available)
    }
    return this._availableQuantities
  }

  /** Whether anything available here is reserved; when not, every role may be offered all of `available`. */
  availableHasReservations(): boolean {
    if (this._availableReserved === null) {
      this._availableReserved = this._totalReserved && this.available.list.some(isReserved)
    }
    return this._availableReserved
  }

  /** What a framework in `role` could be offered here now. `available` itself when nothing is reserved. */
  offerableTo(role: string): Resources {
    const available = this.available
    if (!this.availableHasReservations()) return available
    return available.filter(r => isAllocatableTo(r, role))
  }

  setTotal(total: Resources): void {
    this._total = total.unallocated()
    this._totalQuantities = scalarQuantities(this._total)
    this._totalReserved = this._total.list.some(isReserved)
    this._gpus = this._total.scalar('gpus')
    this.invalidate()
  }

  findHolding(frameworkId: string, role: string): Holding | undefined {
    for (const h of this.holdings) if (h.frameworkId === frameworkId && h.role === role) return h
    return undefined
  }

  /** The framework's holding for `role`, created empty when there is none. */
  openHolding(frameworkId: string, role: string): Holding {
    const h = this.findHolding(frameworkId, role)
    if (h) return h
    const created: Holding = { frameworkId, agentId: this.id, role, resources: Resources.EMPTY }
    this.holdings.push(created)
    return created
  }

  /** Adds `resources` (without allocation info) to a holding of this agent. */
  allocate(h: Holding, resources: Resources): void {
    if (resources.isEmpty) return
    h.resources = h.resources.plus(resources)
    this._allocated = this._allocated.plus(resources)
    this.invalidate()
  }

  /**
   * Adds to a holding everything its role may use here: `offerable` must be what `offerableTo(h.role)` just
   * returned. What is left is then the rest of `available` entry by entry, with no subtraction to do.
   */
  allocateOfferable(h: Holding, offerable: Resources): void {
    const available = this.available
    const rest = offerable === available ? Resources.EMPTY : available.filter(r => !isAllocatableTo(r, h.role))
    h.resources = h.resources.plus(offerable)
    this._allocated = this._allocated.plus(offerable)
    this._available = rest
    this._availableQuantities = rest.isEmpty ? NOTHING : null
    this._availableReserved = rest.isEmpty ? false : null
  }

  /**
   * Takes up to `resources` out of a holding; returns what was actually released (less than asked when the holding
   * did not have it all). A holding left empty is dropped from `holdings`.
   */
  release(h: Holding, resources: Resources): Resources {
    const have = h.resources
    const released = have.contains(resources) ? resources : resources.minus(resources.minus(have))
    if (released.isEmpty) return released
    // Declines and finished tasks usually hand back a whole holding: no need to subtract then.
    h.resources = released.contains(have) ? Resources.EMPTY : have.minus(released)
    if (h.resources.isEmpty) this.drop(h)
    // `allocated` is the sum of the holdings, so with none left it is nothing.
    this._allocated = this.holdings.length === 0 ? Resources.EMPTY : this._allocated.minus(released)
    this.invalidate()
    return released
  }

  /** Drops everything a framework holds here; returns those holdings. */
  releaseFramework(frameworkId: string): Holding[] {
    const gone = this.holdings.filter(h => h.frameworkId === frameworkId)
    for (const h of gone) {
      this.drop(h)
      this._allocated = this._allocated.minus(h.resources)
    }
    if (gone.length) this.invalidate()
    return gone
  }

  private drop(h: Holding): void {
    const i = this.holdings.indexOf(h)
    if (i >= 0) this.holdings.splice(i, 1)
  }

  private invalidate(): void {
    this._available = null
    this._availableQuantities = null
    this._availableReserved = null
  }
}

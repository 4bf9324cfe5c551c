// The master's allocator, after Mesos' HierarchicalDRF: each cycle walks the agents in random order and, on each,
// hands what is left to the role furthest below its fair share, and within that role to the framework furthest below
// its own. A cycle walks only the agents something happened to since the last one, unless a framework-side change
// (new framework, REVIVE, new roles) calls for all of them: see `allocate`. With quota set (Mesos 1.9+ guarantees and
// limits) a cycle runs in two stages instead, as upstream's `__generateOffers`: see `allocateWithQuota`. Pure: the
// master tells it about frameworks, agents and recovered resources, passes the time in, and turns the returned
// allocations into offers.
//
// The fairness policy lives in `sorter.ts`, decline filters in `filters.ts`, per-agent bookkeeping in
// `agent-state.ts`; this file is the loop and the bookkeeping that keeps those three consistent.

import { reservationRole, Resources, type Resource } from '../../core/resources.ts'
import { AgentState, type Holding } from './agent-state.ts'
import { OfferFilters, refuseSeconds } from './filters.ts'
import {
  compileMinAllocatable, DEFAULT_MIN_ALLOCATABLE, scalarQuantities, type MinAllocatableAlternative, type ScalarQuantities,
} from './quantities.ts'
import {
  addInto, consumedQuota, isDefaultQuota, isQuotaResource, limitRoom, positiveDifference, shrinkTo, subtractFrom,
  type Quota,
} from './quota.ts'
import { DRFSorter } from './sorter.ts'

export interface AllocatedOffer {
  frameworkId: string
  agentId: string
  role: string
  /** Stamped with `allocation_info.role` (`Resources.allocatedTo(role)`). */
  resources: Resources
}

export interface AllocatorOptions {
  /**
   * `--min_allocatable_resources`: an offer must meet at least one alternative (all quantities inside it).
   * Default `[{ cpus: 0.01 }, { mem: 32 }]`, i.e. `cpus:0.01|mem:32`; `[]` allows any non-empty offer.
   */
  minAllocatable?: readonly MinAllocatableAlternative[]
  /** `--filter_gpu_resources` (default true): agents with GPUs go only to GPU_RESOURCES frameworks. */
  filterGpuResources?: boolean
  /** For shuffling agents each cycle; inject a seeded one for deterministic tests. */
  random?: () => number
}

export interface FrameworkSpec {
  roles: readonly string[]
  suppressedRoles?: readonly string[]
  /** The GPU_RESOURCES capability. */
  gpuResources: boolean
  active?: boolean
  /** Offer constraints (src/master/offer-constraints.ts): agents the framework must not be offered under a role. */
  excludesAgent?: (role: string, agentId: string) => boolean
}

export interface FrameworkUsage { agentId: string; role: string; resources: Resources }
export interface AgentUsage { frameworkId: string; role: string; resources: Resources }

interface FrameworkState {
  readonly id: string
  roles: Set<string>
  suppressed: Set<string>
  gpu: boolean
  active: boolean
  excludesAgent?: (role: string, agentId: string) => boolean
  /** Roles under which the framework is a client of that role's sorter: its roles plus any it still holds resources in. */
  readonly tracked: Set<string>
  /** What it holds, on any agent; the same objects as in `AgentState.holdings`. */
  readonly holdings: Set<Holding>
  /** Holdings per role: a role the framework left stays tracked while it still holds something there. */
  readonly heldRoles: Map<string, number>
}

interface RoleState {
  /** DRF among the frameworks tracked under this role; clients are framework ids. */
  readonly frameworks: DRFSorter
}

interface Charge { frameworkId: string; role: string; q: ScalarQuantities }

export class HierarchicalAllocator {
  /** `--min_allocatable_resources` as a predicate on quantities. */
  private readonly allocatable: (q: ScalarQuantities) => boolean
  private readonly filterGpuResources: boolean
  private readonly random: () => number

  private readonly frameworks = new Map<string, FrameworkState>()
  private readonly agents = new Map<string, AgentState>()
  private readonly roles = new Map<string, RoleState>()
  private readonly roleSorter = new DRFSorter()
  private readonly weights = new Map<string, number>()
  private readonly filters = new OfferFilters()
  /** Sum of all agents' totals: what every sorter divides by. Kept to seed the sorter of a role created later. */
  private readonly clusterTotal = new Map<string, number>()
  /** Active agents with something left: what a wide cycle walks. */
  private readonly candidates = new Set<AgentState>()
  /**
   * Candidates whose offerability may have changed since they were last looked at: resources recovered, agent added,
   * re-activated or resized, a decline filter on it expired. An ordinary cycle looks at these only (Mesos'
   * `allocate(slaveId)`); every other candidate was looked at before and nothing that decides its offer has changed.
   */
  private readonly dirty = new Set<AgentState>()
  /** Agents holding resources for frameworks the allocator does not know yet, by framework id. */
  private readonly orphans = new Map<string, Set<string>>()
  /** Non-default quotas, by role (the master only sets them on top-level roles, as Mesos does). */
  private readonly quotas = new Map<string, Quota>()
  /**
   * Something changed on the frameworks' side that can make any agent offerable (a framework added, re-activated,
   * revived or given new roles; weights; quota): the next cycle walks every candidate, as Mesos' batch `allocate()`.
   */
  private widePass = false

  constructor(opts: AllocatorOptions = {}) {
    this.allocatable = compileMinAllocatable(opts.minAllocatable ?? DEFAULT_MIN_ALLOCATABLE)
    this.filterGpuResources = opts.filterGpuResources ?? true
    this.random = opts.random ?? Math.random
  }

  // ---- frameworks -------------------------------------------------------------------------------------------------

  /**
   * `used`: what the framework already holds (tasks on agents, after a master failover). Holdings an agent already
   * reported for this framework (`addAgent`'s `used`) are adopted rather than counted twice; entries for agents not
   * added yet are ignored, as in Mesos (the agent will report them).
   */
  addFramework(id: string, f: FrameworkSpec, used: readonly FrameworkUsage[] = []): void {
    if (this.frameworks.has(id)) throw new Error(`framework ${id} already added to the allocator`)
    const roles = new Set(f.roles)
    const fw: FrameworkState = {
      id, roles, suppressed: new Set((f.suppressedRoles ?? []).filter(r => roles.has(r))), gpu: f.gpuResources,
      active: f.active ?? true, tracked: new Set(), holdings: new Set(), heldRoles: new Map(), excludesAgent: f.excludesAgent,
    }
    this.frameworks.set(id, fw)
    for (const role of roles) this.track(fw, role)

    const adopted = new Set<string>()
    for (const agentId of this.orphans.get(id) ?? []) {
      for (const h of this.agents.get(agentId)?.holdings ?? []) {
        if (h.frameworkId !== id) continue
        this.attach(fw, h)
        this.track(fw, h.role)
        this.charge(id, h.role, scalarQuantities(h.resources))
        adopted.add(agentId + '\u0000' + h.role)
      }
    }
    this.orphans.delete(id)

    for (const u of used) {
      const agent = this.agents.get(u.agentId)
      if (!agent || adopted.has(u.agentId + '\u0000' + u.role)) continue
      this.holdAndCharge(fw, agent, u.role, u.resources.unallocated())
      this.updateCandidate(agent)
    }
    for (const role of fw.tracked) this.refresh(fw, role)
    this.widePass = true
  }

  /** Re-subscription or UPDATE_FRAMEWORK: new roles, suppressed roles, capabilities. */
  updateFramework(id: string, f: FrameworkSpec): void {
    const fw = this.frameworks.get(id)
    if (!fw) return
    const newRoles = new Set(f.roles)
    for (const role of fw.roles) {
      if (newRoles.has(role)) continue
      this.filters.removeFramework(id, [role])
      fw.suppressed.delete(role)
    }
    for (const role of newRoles) this.track(fw, role)
    fw.roles = newRoles
    fw.gpu = f.gpuResources
    fw.excludesAgent = f.excludesAgent
    const suppressed = new Set((f.suppressedRoles ?? []).filter(r => newRoles.has(r)))
    // Mesos revives roles that stop being suppressed, which clears their filters.
    const revived = [...fw.suppressed].filter(r => !suppressed.has(r))
    if (revived.length) this.filters.removeFramework(id, revived)
    fw.suppressed = suppressed
    for (const role of [...fw.tracked]) { this.refresh(fw, role); this.untrackIfIdle(fw, role) }
    this.widePass = true
  }

  /** Forgets the framework and gives everything it holds back to the agents. */
  removeFramework(id: string): void {
    const fw = this.frameworks.get(id)
    if (!fw) return
    for (const agentId of new Set([...fw.holdings].map(h => h.agentId))) {
      const agent = this.agents.get(agentId)!
      agent.releaseFramework(id)
      this.updateCandidate(agent)
    }
    fw.holdings.clear()
    fw.heldRoles.clear()
    for (const role of [...fw.tracked]) {
      const rs = this.roles.get(role)!
      this.roleSorter.unallocated(role, rs.frameworks.allocation(id))
      this.untrack(fw, role)
    }
    this.filters.removeFramework(id)
    this.frameworks.delete(id)
  }

  activateFramework(id: string): void {
    const fw = this.frameworks.get(id)
    if (!fw || fw.active) return
    fw.active = true
    for (const role of fw.tracked) this.refresh(fw, role)
    this.widePass = true
  }

  /** A disconnected scheduler gets no offers. Like Mesos, this also drops its decline filters. */
  deactivateFramework(id: string): void {
    const fw = this.frameworks.get(id)
    if (!fw) return
    fw.active = false
    for (const role of fw.tracked) this.refresh(fw, role)
    this.filters.removeFramework(id)
  }

  /** SUPPRESS: no offers for these roles (all of the framework's roles when none are given). */
  suppress(frameworkId: string, roles?: readonly string[]): void {
    const fw = this.frameworks.get(frameworkId)
    if (!fw) return
    for (const role of roles?.length ? roles : [...fw.roles]) {
      if (!fw.roles.has(role)) continue
      fw.suppressed.add(role)
      this.refresh(fw, role)
    }
  }

  /** REVIVE: unsuppress these roles (all when none are given) and drop their decline filters. */
  revive(frameworkId: string, roles?: readonly string[]): void {
    const fw = this.frameworks.get(frameworkId)
    if (!fw) return
    const list = roles?.length ? roles : [...fw.roles]
    this.filters.removeFramework(frameworkId, list)
    for (const role of list) {
      if (!fw.roles.has(role)) continue
      fw.suppressed.delete(role)
      this.refresh(fw, role)
    }
    this.widePass = true
  }

  // ---- agents -----------------------------------------------------------------------------------------------------

  /**
   * `used`: what frameworks already hold on the agent (its running tasks and executors). Frameworks not added yet
   * still use the resources; their holdings are tracked against them once they are added.
   */
  addAgent(id: string, a: { total: Resources; hostname?: string }, used: readonly AgentUsage[] = []): void {
    if (this.agents.has(id)) throw new Error(`agent ${id} already added to the allocator`)
    const agent = new AgentState(id, a.total, a.hostname)
    this.agents.set(id, agent)
    this.addTotal(agent.totalQuantities)
    for (const u of used) this.recordOn(agent, u.frameworkId, u.role, u.resources.unallocated())
    this.updateCandidate(agent)
  }

  removeAgent(id: string): void {
    const agent = this.agents.get(id)
    if (!agent) return
    for (const h of agent.holdings) {
      const fw = this.frameworks.get(h.frameworkId)
      if (!fw) { this.forgetOrphan(h.frameworkId, id); continue }
      this.detach(fw, h)
      this.uncharge(h.frameworkId, h.role, scalarQuantities(h.resources))
      this.untrackIfIdle(fw, h.role)
    }
    this.removeTotal(agent.totalQuantities)
    this.filters.removeAgent(id)
    this.candidates.delete(agent)
    this.dirty.delete(agent)
    // What it held no longer counts against quota, and what it had no longer counts as headroom.
    if (this.quotas.size > 0) this.widePass = true
    this.agents.delete(id)
  }

  activateAgent(id: string): void {
    const agent = this.agents.get(id)
    if (!agent) return
    agent.active = true
    this.updateCandidate(agent)
  }

  /** Disconnected or unreachable agents get no offers; what is held on them stays held. */
  deactivateAgent(id: string): void {
    const agent = this.agents.get(id)
    if (!agent) return
    agent.active = false
    this.updateCandidate(agent)
  }

  updateAgentTotal(id: string, total: Resources): void {
    const agent = this.agents.get(id)
    if (!agent) return
    this.removeTotal(agent.totalQuantities)
    agent.setTotal(total)
    this.addTotal(agent.totalQuantities)
    this.updateCandidate(agent)
  }

  // ---- resources --------------------------------------------------------------------------------------------------

  /**
   * Resources come back from a framework: declined, the unused part of an accepted offer, a finished task, a
   * rescinded offer. `filterSeconds` is the call's `Filters.refuse_seconds` (undefined: no filter, as for a finished
   * task; the master passes 5 for a DECLINE without filters); negative means the default 5 s, 0 no filter, more than a
   * year a year. Resources are matched to roles by their `allocation_info.role`; unstamped ones by what the framework
   * holds on the agent. Anything the framework does not hold is ignored (it raced a removal).
   */
  recoverResources(
    frameworkId: string, agentId: string, resources: Resources, filterSeconds: number | undefined, now: number,
  ): void {
    if (resources.isEmpty) return
    const agent = this.agents.get(agentId)
    const fw = this.frameworks.get(frameworkId)
    for (const [role, part] of this.splitByRole(frameworkId, agent, fw, resources)) {
      if (agent) this.release(frameworkId, agent, role, part)
      if (filterSeconds === undefined || !fw || !agent) continue
      const secs = refuseSeconds(filterSeconds)
      if (secs > 0) this.filters.add(frameworkId, role, agentId, part, now + secs * 1000)
    }
  }

  /** Counts resources as used by a framework without an offer (e.g. tasks learnt from a re-registering agent). */
  recordAllocation(frameworkId: string, agentId: string, role: string, resources: Resources): void {
    const agent = this.agents.get(agentId)
    if (!agent) return
    this.recordOn(agent, frameworkId, role, resources.unallocated())
    this.updateCandidate(agent)
  }

  /** Role → weight (default 1); roles not listed keep theirs. */
  updateWeights(weights: Readonly<Record<string, number>>): void {
    for (const [role, w] of Object.entries(weights)) {
      if (!(w > 0) || !Number.isFinite(w)) throw new RangeError(`weight for role '${role}' must be positive, got ${w}`)
      this.weights.set(role, w)
      if (this.roleSorter.contains(role)) this.roleSorter.updateWeight(role, w)
    }
    this.widePass = true
  }

  // ---- quota ------------------------------------------------------------------------------------------------------

  /**
   * Sets a role's quota (upstream `updateQuota`); a quota with neither guarantees nor limits removes it. Validation
   * (role names, guarantees within limits, top-level roles only) is the master's (src/master/quota/); this only
   * refuses what would corrupt the allocation.
   */
  updateQuota(role: string, quota: Quota): void {
    for (const [name, v] of [...quota.guarantees, ...quota.limits]) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`quota of role '${role}' for '${name}' must be a non-negative number, got ${v}`)
    }
    if (isDefaultQuota(quota)) this.quotas.delete(role)
    else this.quotas.set(role, { guarantees: new Map(quota.guarantees), limits: new Map(quota.limits) })
    this.widePass = true
  }

  removeQuota(role: string): void {
    if (this.quotas.delete(role)) this.widePass = true
  }

  /** The role's quota (guarantees and limits empty when it has none). */
  quota(role: string): Quota {
    return this.quotas.get(role) ?? { guarantees: new Map(), limits: new Map() }
  }

  /**
   * Consumed quota of each role asked for (all roles with quota when none are given): its reservations and those of
   * its sub-roles, offered or not, plus the unreserved non-revocable scalars held in it and its sub-roles.
   */
  quotaConsumed(roles?: Iterable<string>): Map<string, Map<string, number>> {
    return consumedQuota(roles ? new Set(roles) : this.quotas, this.agents.values())
  }

  // ---- the allocation cycle ---------------------------------------------------------------------------------------

  /**
   * One allocation cycle at time `now` (ms). Returns one allocation per (framework, agent, role).
   *
   * Incremental: a cycle looks only at the agents something happened to since the last one (`dirty`), unless a
   * framework-side change calls for a wide cycle over every agent with something left. An agent looked at and not
   * (fully) offered stays out of later cycles until an event concerns it: nothing else can change its answer.
   * With quota the answer also depends on consumption and headroom across the cluster, so any change there makes
   * the cycle wide. `everyAgent` forces a wide cycle (a reference for tests; the result is the same).
   */
  allocate(now: number, opts: { everyAgent?: boolean } = {}): AllocatedOffer[] {
    this.filters.expire(now, f => {
      const agent = this.agents.get(f.agentId)
      if (agent && this.candidates.has(agent)) this.dirty.add(agent)
    })
    const wide = this.widePass || opts.everyAgent === true || (this.quotas.size > 0 && this.dirty.size > 0)
    this.widePass = false
    const agents = [...(wide ? this.candidates : this.dirty)]
    this.dirty.clear()
    const offers: AllocatedOffer[] = []
    if (agents.length === 0) return offers
    if (this.quotas.size > 0) return this.allocateWithQuota(now, agents)

    shuffle(agents, this.random)
    const charges: Charge[] = []

    for (const agent of agents) {
      // Nothing on the agent can reach the minimum for any role if all of it together does not. It stays a
      // candidate (for a wide cycle) but no ordinary cycle looks at it again until something changes on it.
      if (!this.allocatable(agent.availableQuantities())) continue

      // The sorters are not charged until the agent is done, so these views stay valid while we walk them (Mesos
      // sorts once per agent and walks that snapshot too). Deferring changes no decision on this agent: once a role
      // has been offered here, nothing on the agent is left that its frameworks could use.
      const roleOrder = this.roleSorter.sorted()
      for (let i = 0; i < roleOrder.length; i++) {
        const role = roleOrder[i]!
        const frameworkOrder = this.roles.get(role)!.frameworks.sorted()
        if (frameworkOrder.length === 0) continue
        const offerable = agent.offerableTo(role)
        let q: ScalarQuantities
        if (offerable === agent.available) {
          q = agent.availableQuantities() // already checked against the minimum above
        } else {
          if (offerable.isEmpty) continue
          q = scalarQuantities(offerable)
          if (!this.allocatable(q)) continue
        }

        for (let j = 0; j < frameworkOrder.length; j++) {
          const frameworkId = frameworkOrder[j]!
          const fw = this.frameworks.get(frameworkId)!
          if (this.excluded(fw, role, agent) || this.filters.isFiltered(frameworkId, role, agent.id, offerable, now)) continue
          // Mesos offers a framework everything its role may use on the agent.
          const h = agent.openHolding(frameworkId, role)
          this.attach(fw, h)
          agent.allocateOfferable(h, offerable)
          charges.push({ frameworkId, role, q })
          offers.push({ frameworkId, agentId: agent.id, role, resources: offerable.allocatedTo(role) })
          break
        }
        if (agent.available.isEmpty) break
      }

      for (const c of charges) this.charge(c.frameworkId, c.role, c.q)
      charges.length = 0
      if (agent.available.isEmpty) this.candidates.delete(agent)
    }
    return offers
  }

  /**
   * A cycle with quota, in upstream's two stages (`__generateOffers`, Mesos 1.9+):
   *
   * 1. Agents in random order; on each, roles in DRF order, only those with a guarantee not yet met by what they
   *    consume. A role gets unreserved scalars up to its unmet guarantee (chopped from the agent), its own
   *    reservations and the agent's non-scalars, and on top of that more unreserved scalars up to its limits, as far
   *    as the headroom allows.
   * 2. Agents reshuffled; every role in DRF order gets reservations it may use and non-scalars as usual, unreserved
   *    scalars only up to its (top-level role's) limits and never eating into the headroom.
   *
   * The headroom is what unmet guarantees still need: unreserved non-revocable resources that are not allocated are
   * only handed out beyond `required headroom = Σ (guarantee − consumed)`, so a guarantee can be met in a later
   * cycle even when its frameworks are not there yet. Consumed quota counts reservations (allocated or not) and
   * unreserved allocations, so reserving for a role uses up its quota as in Mesos.
   */
  private allocateWithQuota(now: number, agents: AgentState[]): AllocatedOffer[] {
    shuffle(agents, this.random)

    const consumed = consumedQuota(this.quotas, this.agents.values())
    const consumedOf = (role: string) => {
      let m = consumed.get(role)
      if (!m) consumed.set(role, m = new Map())
      return m
    }
    /** Unmet guarantees by role with quota, kept up to date as stage 1 allocates. */
    const unsatisfied = new Map<string, Map<string, number>>()
    const requiredHeadroom = new Map<string, number>()
    for (const [role, q] of this.quotas) {
      const missing = positiveDifference(q.guarantees, consumed.get(role))
      if (missing.size) unsatisfied.set(role, missing)
      addInto(requiredHeadroom, missing)
    }
    const availableHeadroom = new Map<string, number>()
    for (const agent of this.agents.values()) addInto(availableHeadroom, scalarQuantities(agent.available.filter(isQuotaResource)))

    // One offer per (framework, agent, role) even when both stages allocate to it (upstream merges them the same way).
    const byKey = new Map<string, AllocatedOffer>()
    const charges: Charge[] = []
    const give = (agent: AgentState, fw: FrameworkState, role: string, toOffer: Resources, q: ScalarQuantities) => {
      const h = agent.openHolding(fw.id, role)
      this.attach(fw, h)
      agent.allocate(h, toOffer)
      charges.push({ frameworkId: fw.id, role, q })
      const key = `${fw.id}\u0000${agent.id}\u0000${role}`
      const stamped = toOffer.allocatedTo(role)
      const have = byKey.get(key)
      if (have) have.resources = have.resources.plus(stamped)
      else byKey.set(key, { frameworkId: fw.id, agentId: agent.id, role, resources: stamped })
    }
    const settle = () => {
      for (const c of charges) this.charge(c.frameworkId, c.role, c.q)
      charges.length = 0
    }
    /** Unreserved scalars beyond guarantees are only offered out of the surplus over the required headroom. */
    const withinHeadroom = (extra: Resources) =>
      requiredHeadroom.size === 0 || extra.isEmpty ? extra : shrinkTo(extra, positiveDifference(availableHeadroom, requiredHeadroom), 'drop')
    /**
     * What a role may be offered here, if it reaches the minimum. It is the same for each of the role's frameworks
     * until one is given something, so once it is undefined none of them can be offered anything on this agent.
     */
    const offerable = (agent: AgentState, role: string): Resources | undefined => {
      const available = agent.offerableTo(role)
      if (available.isEmpty) return undefined
      return this.allocatable(available === agent.available ? agent.availableQuantities() : scalarQuantities(available)) ? available : undefined
    }
    /** Offers `toOffer` if it reaches the minimum and the framework has not declined it (filters); says whether. */
    const tryGive = (agent: AgentState, fw: FrameworkState, role: string, toOffer: Resources): boolean => {
      const q = scalarQuantities(toOffer)
      if (!this.allocatable(q) || this.filters.isFiltered(fw.id, role, agent.id, toOffer, now)) return false
      give(agent, fw, role, toOffer, q)
      return true
    }

    // Stage 1: guarantees.
    for (const agent of agents) {
      if (unsatisfied.size === 0) break
      if (agent.available.isEmpty) continue
      const roleOrder = this.roleSorter.sorted()
      for (let i = 0; i < roleOrder.length; i++) {
        const role = roleOrder[i]!
        // A sub-role's frameworks serve the guarantee of the top-level role its consumption counts against.
        const top = topLevel(role)
        const missing = unsatisfied.get(top)
        if (!missing) continue
        if (agent.available.isEmpty) break
        const quota = this.quotas.get(top)!
        const frameworkOrder = this.roles.get(role)!.frameworks.sorted()
        for (let j = 0; j < frameworkOrder.length && missing.size > 0; j++) {
          const fw = this.frameworks.get(frameworkOrder[j]!)!
          if (this.excluded(fw, role, agent)) continue
          const available = offerable(agent, role)
          if (!available) break
          const quotaResources = available.filter(isQuotaResource)
          const guaranteesOffering = shrinkTo(quotaResources, missing, 'drop')
          // Only a role making progress towards its guarantee is served here; its reservations wait for stage 2.
          if (guaranteesOffering.isEmpty) continue
          const guaranteed = scalarQuantities(guaranteesOffering)
          let additional = quotaResources.minus(guaranteesOffering)
          if (quota.limits.size > 0) {
            const used = new Map(consumed.get(top) ?? [])
            addInto(used, guaranteed)
            additional = shrinkTo(additional, limitRoom(quota.limits, used), 'keep')
          }
          additional = withinHeadroom(additional)
          const toOffer = guaranteesOffering.plus(additional)
            .plus(available.filter(r => reservationRole(r) === role || !isQuotaScalar(r)))
          if (!tryGive(agent, fw, role, toOffer)) continue
          const increase = scalarQuantities(guaranteesOffering.plus(additional))
          subtractFrom(missing, increase)
          addInto(consumedOf(top), increase)
          subtractFrom(requiredHeadroom, guaranteed)
          subtractFrom(availableHeadroom, increase)
        }
        if (missing.size === 0) unsatisfied.delete(top)
      }
      settle()
    }

    // Stage 2: everything else, within limits and headroom. Reshuffled so stage 1's preference for the front of the
    // list is spread out (upstream does the same).
    shuffle(agents, this.random)
    // When every role with frameworks is at its limits for every resource the cluster has, agents with only
    // unreserved scalars left have nothing for anyone (the usual state once quota has handed out what it may).
    const allAtLimits = this.roleSorter.sorted().every(role => {
      const quota = this.quotas.get(topLevel(role))
      return quota !== undefined && !hasRoom(this.clusterTotal, quota.limits, consumed.get(topLevel(role)))
    })
    for (const agent of agents) {
      if (agent.available.isEmpty) { this.candidates.delete(agent); continue }
      if (!this.allocatable(agent.availableQuantities())) continue
      // An agent with only unreserved non-revocable scalars left has nothing for a role at its limits, nor for anyone
      // once the headroom has no surplus of what it has: checked up front, so a cycle over agents left over by quota
      // costs a lookup per role rather than an offer computation.
      const plain = !agent.availableHasReservations() && agent.available.list.every(isQuotaResource)
      if (plain && allAtLimits) continue
      const roleOrder = this.roleSorter.sorted()
      for (let i = 0; i < roleOrder.length; i++) {
        if (agent.available.isEmpty) break
        if (plain && requiredHeadroom.size > 0 && !hasSurplus(agent.availableQuantities(), availableHeadroom, requiredHeadroom)) break
        const role = roleOrder[i]!
        const top = topLevel(role)
        const quota = this.quotas.get(top)
        if (plain && quota && quota.limits.size > 0 && !hasRoom(agent.availableQuantities(), quota.limits, consumed.get(top))) continue
        const frameworkOrder = this.roles.get(role)!.frameworks.sorted()
        for (let j = 0; j < frameworkOrder.length; j++) {
          const fw = this.frameworks.get(frameworkOrder[j]!)!
          if (this.excluded(fw, role, agent)) continue
          const available = offerable(agent, role)
          if (!available) break
          let additional = available.filter(isQuotaResource)
          if (quota && quota.limits.size > 0) additional = shrinkTo(additional, limitRoom(quota.limits, consumed.get(top)), 'keep')
          additional = withinHeadroom(additional)
          const toOffer = additional.plus(available.filter(r => !isQuotaResource(r)))
          if (!tryGive(agent, fw, role, toOffer)) continue
          const increase = scalarQuantities(additional)
          if (quota) addInto(consumedOf(top), increase)
          subtractFrom(availableHeadroom, increase)
        }
      }
      settle()
      if (agent.available.isEmpty) this.candidates.delete(agent)
    }
    return [...byKey.values()]
  }

  /**
   * Whether the framework is kept from everything on the agent in the role, whatever it would be offered: it lacks
   * the GPU_RESOURCES capability an agent with GPUs requires (--filter_gpu_resources), or excludes the agent itself.
   */
  private excluded(fw: FrameworkState, role: string, agent: AgentState): boolean {
    return (this.filterGpuResources && agent.gpus > 0 && !fw.gpu) || fw.excludesAgent?.(role, agent.id) === true
  }

  /**
   * Whether an `allocate` now could produce offers that the last one did not: something changed since, or (given
   * `now`) a decline filter has expired. A hint for skipping idle cycles; `allocate` is always safe to call.
   */
  hasPendingWork(now?: number): boolean {
    if (this.candidates.size === 0) return false
    if (this.widePass || this.dirty.size > 0) return true
    const next = this.filters.nextExpiry()
    return next !== undefined && (now === undefined || next <= now)
  }

  /** When the earliest decline filter expires (ms), if any. */
  nextFilterExpiry(): number | undefined { return this.filters.nextExpiry() }

  // ---- introspection ----------------------------------------------------------------------------------------------

  /** The role's weighted dominant share, as Mesos' `allocator/mesos/roles/<role>/shares/dominant`. */
  dominantShare(role: string): number {
    return this.roleSorter.contains(role) ? this.roleSorter.share(role) : 0
  }

  /** What the frameworks of a role hold (offered or in use), without allocation info. */
  roleAllocated(role: string): Resources {
    let sum = Resources.EMPTY
    for (const fw of this.frameworks.values()) {
      if (!fw.heldRoles.has(role)) continue
      for (const h of fw.holdings) if (h.role === role) sum = sum.plus(h.resources)
    }
    return sum
  }

  /** What a framework holds (offered or in use), in one role or all, without allocation info. */
  frameworkAllocated(frameworkId: string, role?: string): Resources {
    const fw = this.frameworks.get(frameworkId)
    let sum = Resources.EMPTY
    if (!fw) return sum
    for (const h of fw.holdings) if (role === undefined || h.role === role) sum = sum.plus(h.resources)
    return sum
  }

  /** The framework's weighted dominant share within its role. */
  frameworkShare(frameworkId: string, role: string): number {
    const rs = this.roles.get(role)
    return rs?.frameworks.contains(frameworkId) ? rs.frameworks.share(frameworkId) : 0
  }

  agentAllocated(agentId: string): Resources { return this.agents.get(agentId)?.allocated ?? Resources.EMPTY }
  agentAvailable(agentId: string): Resources { return this.agents.get(agentId)?.available ?? Resources.EMPTY }

  /** Decline filters in force, for one role or all. */
  offerFilterCount(role?: string): number { return this.filters.count(role) }

  /** Roles that have frameworks (subscribed, or still holding resources in them), lowest share first. */
  sortedRoles(): string[] { return this.roleSorter.sort() }

  // ---- bookkeeping ------------------------------------------------------------------------------------------------

  private addTotal(q: ScalarQuantities): void {
    for (const [name, v] of q) this.clusterTotal.set(name, (this.clusterTotal.get(name) ?? 0) + v)
    this.roleSorter.addTotal(q)
    for (const rs of this.roles.values()) rs.frameworks.addTotal(q)
  }

  private removeTotal(q: ScalarQuantities): void {
    for (const [name, v] of q) this.clusterTotal.set(name, Math.max(0, (this.clusterTotal.get(name) ?? 0) - v))
    this.roleSorter.removeTotal(q)
    for (const rs of this.roles.values()) rs.frameworks.removeTotal(q)
  }

  /** Makes the framework a client of the role's sorter (creating the role), inactive until `refresh`. */
  private track(fw: FrameworkState, role: string): void {
    let rs = this.roles.get(role)
    if (!rs) {
      rs = { frameworks: new DRFSorter() }
      rs.frameworks.addTotal(this.clusterTotal)
      this.roles.set(role, rs)
      this.roleSorter.add(role, { weight: this.weights.get(role) ?? 1 })
    }
    if (!rs.frameworks.contains(fw.id)) rs.frameworks.add(fw.id, { active: false })
    fw.tracked.add(role)
  }

  private untrack(fw: FrameworkState, role: string): void {
    const rs = this.roles.get(role)
    fw.tracked.delete(role)
    if (!rs) return
    rs.frameworks.remove(fw.id)
    if (rs.frameworks.size === 0) {
      this.roles.delete(role)
      this.roleSorter.remove(role)
    }
  }

  /** A framework stays under a role it left while it still holds resources there (Mesos does the same). */
  private untrackIfIdle(fw: FrameworkState, role: string): void {
    if (fw.tracked.has(role) && !fw.roles.has(role) && !fw.heldRoles.has(role)) this.untrack(fw, role)
  }

  /** Offers go to a framework in a role only while it is active, subscribed to the role and not suppressing it. */
  private refresh(fw: FrameworkState, role: string): void {
    const rs = this.roles.get(role)
    if (!rs || !rs.frameworks.contains(fw.id)) return
    if (fw.active && fw.roles.has(role) && !fw.suppressed.has(role)) rs.frameworks.activate(fw.id)
    else rs.frameworks.deactivate(fw.id)
  }

  private charge(frameworkId: string, role: string, q: ScalarQuantities): void {
    this.roleSorter.allocated(role, q)
    this.roles.get(role)!.frameworks.allocated(frameworkId, q)
  }

  private uncharge(frameworkId: string, role: string, q: ScalarQuantities): void {
    this.roleSorter.unallocated(role, q)
    this.roles.get(role)!.frameworks.unallocated(frameworkId, q)
  }

  /** Indexes a holding under its framework too. */
  private attach(fw: FrameworkState, h: Holding): void {
    if (fw.holdings.has(h)) return
    fw.holdings.add(h)
    fw.heldRoles.set(h.role, (fw.heldRoles.get(h.role) ?? 0) + 1)
  }

  private detach(fw: FrameworkState, h: Holding): void {
    if (!fw.holdings.delete(h)) return
    const n = fw.heldRoles.get(h.role)! - 1
    if (n > 0) fw.heldRoles.set(h.role, n)
    else fw.heldRoles.delete(h.role)
  }

  /** Records a holding on the agent and the framework, without charging the sorters. */
  private hold(fw: FrameworkState, agent: AgentState, role: string, resources: Resources): void {
    const h = agent.openHolding(fw.id, role)
    this.attach(fw, h)
    agent.allocate(h, resources)
  }

  private holdAndCharge(fw: FrameworkState, agent: AgentState, role: string, resources: Resources): void {
    if (resources.isEmpty) return
    this.track(fw, role)
    this.refresh(fw, role)
    this.hold(fw, agent, role, resources)
    this.charge(fw.id, role, scalarQuantities(resources))
  }

  /** Holdings learnt without an offer; for a framework not added yet they only reduce what the agent has left. */
  private recordOn(agent: AgentState, frameworkId: string, role: string, resources: Resources): void {
    if (resources.isEmpty) return
    const fw = this.frameworks.get(frameworkId)
    if (fw) { this.holdAndCharge(fw, agent, role, resources); return }
    agent.allocate(agent.openHolding(frameworkId, role), resources)
    let set = this.orphans.get(frameworkId)
    if (!set) this.orphans.set(frameworkId, set = new Set())
    set.add(agent.id)
  }

  private release(frameworkId: string, agent: AgentState, role: string, resources: Resources): void {
    const h = agent.findHolding(frameworkId, role)
    if (!h) return
    const released = agent.release(h, resources)
    if (released.isEmpty) return
    const fw = this.frameworks.get(frameworkId)
    if (fw) {
      if (h.resources.isEmpty) this.detach(fw, h)
      this.uncharge(frameworkId, role, scalarQuantities(released))
      this.untrackIfIdle(fw, role)
    } else if (!agent.holdings.some(x => x.frameworkId === frameworkId)) {
      this.forgetOrphan(frameworkId, agent.id)
    }
    this.updateCandidate(agent)
  }

  /**
   * Splits recovered resources by the role they were allocated to, without allocation info. Offers and tasks carry
   * `allocation_info.role`; anything unstamped is matched against what the framework holds on the agent, and what
   * matches nothing is attributed to the framework's only role (so a filter can still be installed).
   */
  private splitByRole(
    frameworkId: string, agent: AgentState | undefined, fw: FrameworkState | undefined, resources: Resources,
  ): Array<[string, Resources]> {
    const list = resources.list
    // The usual case: everything comes back from one offer or task, all stamped with one role.
    const first = list[0]?.allocation_info?.role
    if (first !== undefined && list.every(r => r.allocation_info?.role === first)) return [[first, resources.unallocated()]]

    const out = new Map<string, Resources>()
    const add = (role: string, r: Resources) => {
      if (r.isEmpty) return
      const have = out.get(role)
      out.set(role, have ? have.plus(r) : r)
    }
    const roles = new Set(list.map(r => r.allocation_info?.role))
    for (const role of roles) {
      if (role !== undefined) add(role, resources.filter(r => r.allocation_info?.role === role).unallocated())
    }
    let rest = resources.filter(r => r.allocation_info?.role === undefined)
    for (const h of agent?.holdings ?? []) {
      if (rest.isEmpty) break
      if (h.frameworkId !== frameworkId) continue
      const part = rest.minus(rest.minus(h.resources))
      add(h.role, part)
      rest = rest.minus(part)
    }
    if (!rest.isEmpty && fw && fw.roles.size === 1) add([...fw.roles][0]!, rest)
    return [...out]
  }

  private forgetOrphan(frameworkId: string, agentId: string): void {
    const set = this.orphans.get(frameworkId)
    if (!set) return
    set.delete(agentId)
    if (set.size === 0) this.orphans.delete(frameworkId)
  }

  /** Every change to an agent's resources or state goes through here, so the next cycle looks at it. */
  private updateCandidate(agent: AgentState): void {
    // With quota, what any agent holds or has left (active or not) moves consumption and headroom for all of them.
    if (this.quotas.size > 0) this.widePass = true
    if (agent.active && !agent.available.isEmpty) {
      this.candidates.add(agent)
      this.dirty.add(agent)
    } else {
      this.candidates.delete(agent)
      this.dirty.delete(agent)
    }
  }
}

/** The top-level role of `a/b/c` is `a`: quota is set on top-level roles and covers their sub-roles. */
function topLevel(role: string): string {
  const i = role.indexOf('/')
  return i < 0 ? role : role.slice(0, i)
}

/** Whether any of `q` is under its limit (names without a limit are unlimited). */
function hasRoom(q: ScalarQuantities, limits: ScalarQuantities, consumed: ScalarQuantities | undefined): boolean {
  for (const [name, v] of q) {
    if (v <= 0) continue
    const limit = limits.get(name)
    if (limit === undefined || limit - (consumed?.get(name) ?? 0) > 0.0005) return true
  }
  return false
}

/** Whether the headroom has a surplus of anything in `q`. */
function hasSurplus(q: ScalarQuantities, available: ScalarQuantities, required: ScalarQuantities): boolean {
  for (const [name, v] of q) if (v > 0 && (available.get(name) ?? 0) - (required.get(name) ?? 0) > 0.0005) return true
  return false
}

/** Non-scalars and revocable scalars never count against quota and always go with an offer (upstream). */
function isQuotaScalar(r: Resource): boolean {
  return r.type === 'SCALAR' && r.revocable === undefined
}

/** Fisher–Yates, in place. */
function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = a[i]!
    a[i] = a[j]!
    a[j] = t
  }
}

// The master's allocator, after Mesos' HierarchicalDRF (without quota): each cycle walks the agents in random order
// and, on each, hands what is left to the role furthest below its fair share, and within that role to the framework
// furthest below its own. Pure: the master tells it about frameworks, agents and recovered resources, passes the
// time in, and turns the returned allocations into offers.
//
// The fairness policy lives in `sorter.ts`, decline filters in `filters.ts`, per-agent bookkeeping in
// `agent-state.ts`; this file is the loop and the bookkeeping that keeps those three consistent.

import { Resources } from '../../core/resources.ts'
import { AgentState, type Holding } from './agent-state.ts'
import { OfferFilters, refuseSeconds } from './filters.ts'
import {
  compileMinAllocatable, DEFAULT_MIN_ALLOCATABLE, scalarQuantities, type MinAllocatableAlternative, type ScalarQuantities,
} from './quantities.ts'
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
}

export interface FrameworkUsage { agentId: string; role: string; resources: Resources }
export interface AgentUsage { frameworkId: string; role: string; resources: Resources }

interface FrameworkState {
  readonly id: string
  roles: Set<string>
  suppressed: Set<string>
  gpu: boolean
  active: boolean
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
  /** Active agents with something left: the only ones a cycle needs to look at. */
  private readonly candidates = new Set<AgentState>()
  /** Agents holding resources for frameworks the allocator does not know yet, by framework id. */
  private readonly orphans = new Map<string, Set<string>>()
  private changed = false

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
      active: f.active ?? true, tracked: new Set(), holdings: new Set(), heldRoles: new Map(),
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
    this.changed = true
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
    const suppressed = new Set((f.suppressedRoles ?? []).filter(r => newRoles.has(r)))
    // Mesos revives roles that stop being suppressed, which clears their filters.
    const revived = [...fw.suppressed].filter(r => !suppressed.has(r))
    if (revived.length) this.filters.removeFramework(id, revived)
    fw.suppressed = suppressed
    for (const role of [...fw.tracked]) { this.refresh(fw, role); this.untrackIfIdle(fw, role) }
    this.changed = true
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
    this.changed = true
  }

  activateFramework(id: string): void {
    const fw = this.frameworks.get(id)
    if (!fw || fw.active) return
    fw.active = true
    for (const role of fw.tracked) this.refresh(fw, role)
    this.changed = true
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
    this.changed = true
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
    this.changed = true
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
    this.agents.delete(id)
  }

  activateAgent(id: string): void {
    const agent = this.agents.get(id)
    if (!agent) return
    agent.active = true
    this.updateCandidate(agent)
    this.changed = true
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
    this.changed = true
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
    this.changed = true
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
    this.changed = true
  }

  // ---- the allocation cycle ---------------------------------------------------------------------------------------

  /** One allocation cycle at time `now` (ms). Returns one allocation per (framework, agent, role). */
  allocate(now: number): AllocatedOffer[] {
    this.filters.expire(now)
    this.changed = false
    const offers: AllocatedOffer[] = []
    if (this.candidates.size === 0) return offers

    const agents = [...this.candidates]
    shuffle(agents, this.random)
    // Most agents are used up by the walk; re-adding the few that are not is cheaper than deleting the rest.
    this.candidates.clear()
    const charges: Charge[] = []

    for (const agent of agents) {
      // Nothing on the agent can reach the minimum for any role if all of it together does not.
      if (!this.allocatable(agent.availableQuantities())) {
        if (!agent.available.isEmpty) this.candidates.add(agent)
        continue
      }

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
          if (this.filterGpuResources && agent.gpus > 0 && !fw.gpu) continue
          if (this.filters.isFiltered(frameworkId, role, agent.id, offerable, now)) continue
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
      if (!agent.available.isEmpty) this.candidates.add(agent)
    }
    return offers
  }

  /**
   * Whether an `allocate` now could produce offers that the last one did not: something changed since, or (given
   * `now`) a decline filter has expired. A hint for skipping idle cycles; `allocate` is always safe to call.
   */
  hasPendingWork(now?: number): boolean {
    if (this.candidates.size === 0) return false
    if (this.changed) return true
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

  private updateCandidate(agent: AgentState): void {
    if (agent.active && !agent.available.isEmpty) this.candidates.add(agent)
    else this.candidates.delete(agent)
  }
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

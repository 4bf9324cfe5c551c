// Everything the master knows, as plain objects: frameworks, agents, outstanding offers, the allocator's books,
// counters. Transitions (frameworks.ts, offers.ts, tasks.ts, agents.ts) change it; views (views-v0.ts,
// views-v1.ts, metrics-snapshot.ts) read it. Nothing here does I/O or reads the clock.

import { Resources } from '../core/resources.ts'
import type { MasterInfo, Offer, Task } from '../core/v1/messages.ts'
import { isTerminal } from '../core/v1/messages.ts'
import type { HierarchicalAllocator } from './allocator/allocator.ts'
import type { Quota } from './allocator/quota.ts'
import type { DrainInfo } from './drain.ts'
import type { MasterFlags } from './flags.ts'
import type { Framework } from './framework.ts'
import { MaintenanceState } from './maintenance/maintenance-state.ts'
import { MasterMetrics } from './metrics.ts'
import { OperationBook } from './operations/operation-book.ts'
import type { Outbox } from './outbox.ts'
import type { ReconciliationView } from './reconciliation.ts'
import type { AgentLink, RegisteredAgent } from './registered-agent.ts'
import { resourcesOf } from './resource-lists.ts'

export const HEARTBEAT_INTERVAL_SECONDS = 15

/** An offer sent to a framework and not yet accepted, declined or rescinded. */
export interface OutstandingOffer {
  offer: Offer
  frameworkId: string
  agentId: string
  role: string
  resources: Resources
}

/** What every transition gets: the state to change, the outbox for its effects, and the time (ms since the epoch). */
export interface Step {
  readonly s: MasterState
  readonly out: Outbox
  readonly now: number
}

export class MasterState {
  readonly frameworks = new Map<string, Framework>()
  completedFrameworks: Framework[] = []
  readonly agents = new Map<string, RegisteredAgent>()
  /** Agents whose registration is being written to the registrar; admitted once it is durable. */
  readonly admitting = new Map<string, { agent: RegisteredAgent; link: AgentLink }>()
  readonly goneAgents = new Set<string>()
  readonly offers = new Map<string, OutstandingOffer>()
  readonly metrics = new MasterMetrics()
  /** Id counters (`framework`, `agent`, `offer`); the registrar keeps the first two across restarts. */
  readonly sequences = new Map<string, number>()
  weights: Record<string, number> = {}
  /** Quotas set by operators (SET_QUOTA / UPDATE_QUOTA), by top-level role; persisted (src/master/quota/). */
  readonly quotas = new Map<string, Quota>()
  /** Operations with feedback (`id`) not yet acknowledged; src/master/operations/feedback.ts. */
  readonly operations = new OperationBook()
  /** The maintenance schedule, machine modes and inverse offers (src/master/maintenance/). */
  readonly maintenance = new MaintenanceState()
  /** DRAIN_AGENT: agents being drained or drained, by id (persisted in their AgentRecord; src/master/drain.ts). */
  readonly draining = new Map<string, DrainInfo>()
  /** When each draining agent was told to drain (seconds since the epoch), for `estimated_drain_start_time`. */
  readonly drainStartTimes = new Map<string, number>()
  /** Ping ticks so far: which slice of the agents the next one pings (src/master/ping-slice.ts). */
  pingTick = 0

  constructor(
    readonly id: string,
    readonly info: MasterInfo,
    readonly flags: MasterFlags,
    readonly allocator: HierarchicalAllocator,
    /** Seconds since the epoch. */
    readonly startTime: number,
    /** The flags as given on the command line, for GET_FLAGS and /flags (empty: derive them from `flags`). */
    readonly flagStrings: { name: string; value: string }[] = [],
    /** How agents are reached, for offers' `url.scheme`: https when the cluster runs TLS (no downgrade). */
    readonly scheme: 'http' | 'https' = 'http',
  ) {}

  get electedTime(): number { return this.startTime }
  get address(): string { return `${this.info.address!.ip}:${this.info.port}` }

  /** The next number of an id counter (starting at 0). */
  nextSequence(name: string): number {
    const n = this.sequences.get(name) ?? 0
    this.sequences.set(name, n + 1)
    return n
  }

  findFramework(id: string): Framework | undefined { return this.frameworks.get(id) }

  /** All tasks the master knows: active, unreachable and completed, across active and completed frameworks. */
  *allTasks(opts: { completed?: boolean } = {}): Generator<{ task: Task; framework: Framework; kind: 'active' | 'unreachable' | 'completed' }> {
    for (const fw of [...this.frameworks.values(), ...(opts.completed ? this.completedFrameworks : [])]) {
      for (const task of fw.tasks.values()) yield { task, framework: fw, kind: 'active' }
      for (const task of fw.unreachableTasks.values()) yield { task, framework: fw, kind: 'unreachable' }
      if (opts.completed !== false) for (const task of fw.completedTasks) yield { task, framework: fw, kind: 'completed' }
    }
  }

  agentUsed(agent: RegisteredAgent): Resources { return agent.usedResources() }
  agentOffered(agent: RegisteredAgent): Resources { return this.offeredOf(agent.offers) }
  frameworkOffered(fw: Framework): Resources { return this.offeredOf(fw.offers) }
  frameworkUsed(fw: Framework): Resources { return Resources.sum(frameworkUsedParts(fw)) }
  frameworkOffers(fw: Framework): Offer[] {
    return [...fw.offers].map(id => this.offers.get(id)?.offer).filter((o): o is Offer => !!o)
  }

  private offeredOf(ids: Iterable<string>): Resources {
    let r = Resources.EMPTY
    for (const id of ids) { const o = this.offers.get(id); if (o) r = r.plus(o.resources) }
    return r
  }

  reconciliationView(fw: Framework): ReconciliationView {
    return {
      partitionAware: fw.partitionAware,
      findTask: id => fw.tasks.get(id) ?? fw.unreachableTasks.get(id),
      allTasks: () => [...fw.tasks.values(), ...fw.unreachableTasks.values()],
      agentState: id => {
        if (this.goneAgents.has(id)) return 'gone'
        const a = this.agents.get(id)
        return a ? a.state : 'unknown'
      },
      anyRecoveredAgent: () => [...this.agents.values()].some(a => a.state === 'recovered'),
      agentUnreachableTime: id => { const t = this.agents.get(id)?.unreachableTime; return t === undefined ? undefined : t * 1000 },
    }
  }
}

function* frameworkUsedParts(fw: Framework): Generator<Resources> {
  for (const t of fw.tasks.values()) if (!isTerminal(t.state)) yield resourcesOf(t.resources)
  for (const execs of fw.executors.values()) for (const e of execs.values()) yield resourcesOf(e.resources)
}

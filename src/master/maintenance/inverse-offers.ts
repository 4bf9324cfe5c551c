// Inverse offers (upstream hierarchical.cpp `deallocate`, `updateInverseOffer`, `updateUnavailability`): a framework
// that uses resources on an agent whose machine is scheduled for maintenance is asked to give them back, with the
// machine's unavailability. One inverse offer per (agent, framework) is outstanding at a time; ACCEPT or DECLINE
// records the answer (shown in GET_MAINTENANCE_STATUS) and, with the call's `refuse_seconds` (default 5), holds the
// next one back that long. A schedule change rescinds the agent's inverse offers and forgets the answers. The book
// is plain data and `plan` a pure decision; transitions (transitions.ts) send and rescind.

import type { InverseOffer, Unavailability } from '../../core/v1/messages.ts'

export type InverseOfferAnswer = 'UNKNOWN' | 'ACCEPT' | 'DECLINE'

export interface OutstandingInverseOffer { id: string; frameworkId: string; agentId: string; unavailability: Unavailability }

/** mesos.v1.allocator.InverseOfferStatus as kept: the answer and when it came (seconds since the epoch). */
export interface InverseOfferStatusRecord { status: InverseOfferAnswer; frameworkId: string; timestamp: number }

/** What `plan` needs to know of one agent under maintenance. */
export interface AgentUnderMaintenance {
  agentId: string
  unavailability: Unavailability
  /** Frameworks with resources on the agent (tasks, executors, outstanding offers), connected ones only. */
  frameworks: string[]
}

const pairKey = (agentId: string, frameworkId: string) => `${agentId}\u0000${frameworkId}`

export class InverseOfferBook {
  /** By id; changed only through add, remove and answer, which keep `byPair` in step. */
  readonly outstanding = new Map<string, OutstandingInverseOffer>()
  /** The same by (agent, framework): `plan` asks once per pair after every allocation. */
  private readonly byPair = new Map<string, OutstandingInverseOffer>()
  /** agent id → framework id → the framework's latest answer. */
  readonly statuses = new Map<string, Map<string, InverseOfferStatusRecord>>()
  /** (agent, framework) → ms since the epoch before which no new inverse offer is sent (the answer's filter). */
  private readonly filters = new Map<string, number>()

  /** The outstanding inverse offer of a pair, if any. */
  find(agentId: string, frameworkId: string): OutstandingInverseOffer | undefined {
    return this.byPair.get(pairKey(agentId, frameworkId))
  }

  ofAgent(agentId: string): OutstandingInverseOffer[] { return [...this.outstanding.values()].filter(o => o.agentId === agentId) }
  ofFramework(frameworkId: string): OutstandingInverseOffer[] { return [...this.outstanding.values()].filter(o => o.frameworkId === frameworkId) }

  add(o: OutstandingInverseOffer) {
    this.outstanding.set(o.id, o)
    this.byPair.set(pairKey(o.agentId, o.frameworkId), o)
  }

  /** A framework's outstanding inverse offers as v1 InverseOffers (GET_FRAMEWORKS `inverse_offers`). */
  wireOf(frameworkId: string): InverseOffer[] {
    return this.ofFramework(frameworkId).map(o => ({ id: { value: o.id }, framework_id: { value: o.frameworkId }, agent_id: { value: o.agentId }, unavailability: o.unavailability }))
  }

  remove(id: string): OutstandingInverseOffer | undefined {
    const o = this.outstanding.get(id)
    if (!o) return undefined
    this.outstanding.delete(id)
    const key = pairKey(o.agentId, o.frameworkId)
    if (this.byPair.get(key) === o) this.byPair.delete(key)
    return o
  }

  /** The framework answered: record it and hold the pair's next inverse offer back for `refuseMs`. */
  answer(o: OutstandingInverseOffer, status: InverseOfferAnswer, nowMs: number, refuseMs: number) {
    this.remove(o.id)
    let m = this.statuses.get(o.agentId)
    if (!m) { m = new Map(); this.statuses.set(o.agentId, m) }
    m.set(o.frameworkId, { status, frameworkId: o.frameworkId, timestamp: nowMs / 1000 })
    if (refuseMs > 0) this.filters.set(pairKey(o.agentId, o.frameworkId), nowMs + refuseMs)
  }

  /** The agent's unavailability changed or ended (or the agent went away): answers and filters start over. */
  resetAgent(agentId: string) {
    this.statuses.delete(agentId)
    for (const key of [...this.filters.keys()]) if (key.startsWith(`${agentId}\u0000`)) this.filters.delete(key)
  }

  /** Which (agent, framework) pairs get a new inverse offer now. */
  plan(agents: AgentUnderMaintenance[], nowMs: number): { agentId: string; frameworkId: string; unavailability: Unavailability }[] {
    const out: { agentId: string; frameworkId: string; unavailability: Unavailability }[] = []
    for (const a of agents) {
      for (const frameworkId of a.frameworks) {
        if (this.find(a.agentId, frameworkId)) continue
        const key = pairKey(a.agentId, frameworkId)
        const until = this.filters.get(key)
        if (until !== undefined) {
          if (nowMs < until) continue
          this.filters.delete(key)
        }
        out.push({ agentId: a.agentId, frameworkId, unavailability: a.unavailability })
      }
    }
    return out
  }
}

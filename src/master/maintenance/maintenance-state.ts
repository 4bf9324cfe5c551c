// What the master knows of maintenance: the schedule, the machines in it with their modes, and the inverse offers
// book. Kept in MasterState (`s.maintenance`); the schedule and modes are persisted (`putMaintenance`), the inverse
// offers and the frameworks' answers are not (upstream clears them on failover too, and sends new ones).

import type { Unavailability } from '../../core/v1/messages.ts'
import { AgentsByHost, type HostNames } from './agents-by-host.ts'
import { InverseOfferBook } from './inverse-offers.ts'
import { machineKey, machineOfAgent, type MachineRecord, type MaintenanceRecord, type MaintenanceSchedule } from './schedule.ts'

export class MaintenanceState {
  schedule: MaintenanceSchedule = { windows: [] }
  machines = new Map<string, MachineRecord>()
  readonly inverseOffers = new InverseOfferBook()
  /** Every agent that registered or re-registered with this master, by hostname and IP (for drainingAgents). */
  private readonly agentsByHost = new AgentsByHost()

  /** From the registrar at start. */
  recover(r: MaintenanceRecord | undefined) {
    if (!r) return
    this.schedule = r.schedule
    this.machines = new Map(r.machines.map(m => [machineKey(m.id), m]))
  }

  record(): MaintenanceRecord {
    return { schedule: this.schedule, machines: [...this.machines.values()] }
  }

  /** An agent registered or re-registered (agents.ts): its hostname or address may be new. */
  agentJoined(agent: HostNames & { id: string }) { this.agentsByHost.add(agent.id, agent) }

  /**
   * The agents of `agents` on DRAINING machines with an unavailability, each with that unavailability: a lookup per
   * scheduled machine, whatever the number of agents (inverse offers are made after every allocation).
   */
  drainingAgents<A extends HostNames>(agents: ReadonlyMap<string, A>): { agent: A; unavailability: Unavailability }[] {
    const out: { agent: A; unavailability: Unavailability }[] = []
    for (const machine of this.machines.values()) {
      if (machine.mode !== 'DRAINING' || !machine.unavailability) continue
      for (const agent of this.agentsByHost.agentsOn(machine.id, agents)) {
        // An agent matched by two scheduled machines (one named by hostname, the other by IP) is on the one machineOf says.
        if (this.machineOf(agent) === machine) out.push({ agent, unavailability: machine.unavailability })
      }
    }
    return out
  }

  /** The scheduled machine of an agent (hostname, IP of its pid), if any. */
  machineOf(agent: { hostname: string; address: string }): MachineRecord | undefined {
    if (!this.machines.size) return undefined
    const ip = agent.address.split(':')[0] ?? ''
    // Asked for every agent on every allocation: look candidates up by hostname or IP instead of scanning them all.
    const index = this.indexed()
    const candidates = [...(index.byHostname.get(agent.hostname.toLowerCase()) ?? []), ...(index.byIp.get(ip) ?? [])]
    return machineOfAgent(new Map(candidates.map(m => [machineKey(m.id), m])), { hostname: agent.hostname, ip })
  }

  private index?: { of: Map<string, MachineRecord>; byHostname: Map<string, MachineRecord[]>; byIp: Map<string, MachineRecord[]> }

  private indexed() {
    if (this.index?.of === this.machines) return this.index
    const byHostname = new Map<string, MachineRecord[]>()
    const byIp = new Map<string, MachineRecord[]>()
    for (const m of this.machines.values()) {
      // A machine with a hostname is found by it (its IP, if any, must match too); one with only an IP by that.
      const [map, key] = m.id.hostname ? [byHostname, m.id.hostname.toLowerCase()] : [byIp, m.id.ip ?? '']
      map.set(key, [...(map.get(key) ?? []), m])
    }
    this.index = { of: this.machines, byHostname, byIp }
    return this.index
  }
}

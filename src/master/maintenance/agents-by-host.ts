// The master's agents by the names a maintenance machine is matched by (schedule.ts machineMatches: the hostname,
// case-insensitively, and the IP of the agent's pid), so that what concerns the machines in the schedule costs a
// lookup per machine rather than a walk over every agent: inverse offers are made after every allocation.
//
// Told of each agent as it registers or re-registers (agents.ts), when its hostname or address may be new. Nothing
// is taken out when an agent goes away or changes its name: a lookup checks what it finds against the master's
// agents and drops what is stale then. Plain data; no I/O.

import type { MachineID } from '../../core/v1/messages.ts'
import { machineMatches } from './schedule.ts'

export interface HostNames { hostname: string; address: string }

/** The IP of an agent's `ip:port` address. */
export const agentIp = (agent: { address: string }): string => agent.address.split(':')[0] ?? ''

export class AgentsByHost {
  private readonly byHostname = new Map<string, Set<string>>()
  private readonly byIp = new Map<string, Set<string>>()

  /** The agent registered or re-registered under these names. */
  add(agentId: string, agent: HostNames): void {
    addTo(this.byHostname, agent.hostname.toLowerCase(), agentId)
    addTo(this.byIp, agentIp(agent), agentId)
  }

  /**
   * The agents of `agents` on the machine (machineMatches). Looked up by the machine's hostname, or, for a machine
   * named by its IP alone, by that IP; ids found there that are gone or no longer have that name are dropped.
   */
  agentsOn<A extends HostNames>(machine: MachineID, agents: ReadonlyMap<string, A>): A[] {
    const [index, key] = machine.hostname ? [this.byHostname, machine.hostname.toLowerCase()] : [this.byIp, machine.ip ?? '']
    const ids = index.get(key)
    if (!ids) return []
    const out: A[] = []
    for (const id of ids) {
      const agent = agents.get(id)
      if (!agent || (machine.hostname ? agent.hostname.toLowerCase() : agentIp(agent)) !== key) { ids.delete(id); continue }
      if (machineMatches(machine, { hostname: agent.hostname, ip: agentIp(agent) })) out.push(agent)
    }
    if (!ids.size) index.delete(key)
    return out
  }
}

function addTo(index: Map<string, Set<string>>, key: string, agentId: string) {
  let ids = index.get(key)
  if (!ids) index.set(key, ids = new Set())
  ids.add(agentId)
}

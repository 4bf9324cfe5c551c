// The roles resources are reserved for on the master's registered agents, with their ancestors: part of the roles
// the master knows (GET_ROLES, /roles), as upstream Master::knownRoles counts slave->totalResources.reservations().

import { reservationRole } from '../../core/resources.ts'
import type { MasterState } from '../state.ts'

/** `a/b/c` → `a/b/c`, `a/b`, `a`. */
export function withAncestors(role: string): string[] {
  const out = [role]
  for (let i = role.lastIndexOf('/'); i > 0; i = role.lastIndexOf('/', i - 1)) out.push(role.slice(0, i))
  return out
}

export function reservationRoles(s: MasterState): Set<string> {
  const roles = new Set<string>()
  for (const agent of s.agents.values()) {
    if (agent.state !== 'registered' && agent.state !== 'disconnected') continue
    for (const r of agent.total.list) {
      const role = reservationRole(r)
      if (role !== '*' && !roles.has(role)) for (const x of withAncestors(role)) roles.add(x)
    }
  }
  return roles
}

// The maintenance mode of an agent's machine, from GET_MAINTENANCE_STATUS (src/master/maintenance/). A machine is
// named by hostname and/or IP, as Mesos' MachineID; an agent is on it when every part given matches. Pure.

import { agentAddress, type WireAgent } from './cluster-state.ts'

export interface MachineId { hostname?: string; ip?: string }
export interface MaintenanceStatus { draining_machines?: { id: MachineId }[]; down_machines?: MachineId[] }

export function onMachine(a: WireAgent, m: MachineId): boolean {
  if (!m.hostname && !m.ip) return false
  const ip = agentAddress(a).replace(/:\d+$/, '')
  return (!m.hostname || m.hostname === a.agent_info.hostname) && (!m.ip || m.ip === ip)
}

/** DRAINING or DOWN for an agent on a machine in maintenance, else undefined (UP). */
export function machineMode(a: WireAgent, s: MaintenanceStatus | undefined): 'DRAINING' | 'DOWN' | undefined {
  if (!s) return undefined
  if ((s.down_machines ?? []).some(m => onMachine(a, m))) return 'DOWN'
  if ((s.draining_machines ?? []).some(d => onMachine(a, d.id))) return 'DRAINING'
  return undefined
}

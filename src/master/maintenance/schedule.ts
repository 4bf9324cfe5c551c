// The maintenance schedule and machine modes (upstream src/master/maintenance.cpp, docs/maintenance.md): pure
// validation and transitions over plain data. A machine in the schedule is DRAINING (its agents' frameworks get
// inverse offers) until START_MAINTENANCE makes it DOWN (its agents are removed and may not register), and
// STOP_MAINTENANCE brings it UP again, out of the schedule. Nothing here does I/O or reads the clock.

import { isIP } from 'node:net'
import type { MachineID, Unavailability } from '../../core/v1/messages.ts'

export type MachineMode = 'UP' | 'DRAINING' | 'DOWN'

/** mesos.v1.maintenance.Window / Schedule. */
export interface MaintenanceWindow { machine_ids: MachineID[]; unavailability: Unavailability }
export interface MaintenanceSchedule { windows: MaintenanceWindow[] }

/** A machine the master tracks because it is (or was, while DOWN) in the schedule. */
export interface MachineRecord { id: MachineID; mode: MachineMode; unavailability?: Unavailability }

/** What the registrar keeps: the schedule and the modes of its machines. */
export interface MaintenanceRecord { schedule: MaintenanceSchedule; machines: MachineRecord[] }

/** Upper bounds on input: one schedule names at most this many machines, in at most this many windows. */
export const MAX_SCHEDULED_MACHINES = 10_000
export const MAX_WINDOWS = 1_000

/** Machines compare as upstream's MachineID: hostname case-insensitively, IP exactly. */
export function machineKey(id: MachineID): string {
  return `${(id.hostname ?? '').toLowerCase()}|${id.ip ?? ''}`
}

/** As upstream stringifies a MachineID in its messages (`JSON::protobuf(id)`). */
export function machineText(id: MachineID): string {
  const o: MachineID = {}
  if (id.hostname) o.hostname = id.hostname
  if (id.ip) o.ip = id.ip
  return JSON.stringify(o)
}

/**
 * Whether an agent (its hostname and IP) is on a scheduled machine. Upstream matches hostname and IP both; meso
 * also matches a MachineID that gives only one of them, so `--hostname`-less operators can name machines simply.
 */
export function machineMatches(id: MachineID, agent: { hostname: string; ip: string }): boolean {
  if (!id.hostname && !id.ip) return false
  if (id.hostname && id.hostname.toLowerCase() !== agent.hostname.toLowerCase()) return false
  if (id.ip && id.ip !== agent.ip) return false
  return true
}

/** upstream maintenance::validation::machine */
export function validateMachine(id: MachineID): string | undefined {
  if (typeof id !== 'object' || id === null) return 'A machine must be an object with a hostname and/or an ip'
  if (!id.hostname && !id.ip) return "Both 'hostname' and 'ip' for a machine are empty"
  if (id.hostname !== undefined && typeof id.hostname !== 'string') return "A machine's 'hostname' must be a string"
  if (id.ip) {
    if (typeof id.ip !== 'string' || isIP(id.ip) !== 4) return `Failed to parse IP address '${String(id.ip)}': not an IPv4 address`
  }
  return undefined
}

/** upstream maintenance::validation::machines (START_MAINTENANCE, STOP_MAINTENANCE, /machine/down, /machine/up) */
export function validateMachines(ids: MachineID[] | undefined): string | undefined {
  if (!Array.isArray(ids) || ids.length === 0) return 'List of machines is empty'
  if (ids.length > MAX_SCHEDULED_MACHINES) return `Too many machines (${ids.length}; at most ${MAX_SCHEDULED_MACHINES})`
  const seen = new Set<string>()
  for (const id of ids) {
    const bad = validateMachine(id)
    if (bad) return bad
    const key = machineKey(id)
    if (seen.has(key)) return `Machine '${machineText(id)}' appears more than once in the schedule`
    seen.add(key)
  }
  return undefined
}

function validateUnavailability(u: Unavailability | undefined): string | undefined {
  if (!u || typeof u !== 'object' || !u.start || !Number.isFinite(Number(u.start.nanoseconds))) {
    return "Unavailability must have a 'start' time ({\"nanoseconds\": …})"
  }
  if (u.duration !== undefined && !Number.isFinite(Number(u.duration.nanoseconds))) return "Unavailability 'duration' must be a number of nanoseconds"
  if (u.duration && Number(u.duration.nanoseconds) < 0) return "Unavailability 'duration' is negative"
  return undefined
}

/**
 * upstream maintenance::validation::schedule: each window names machines (each valid, none twice in the schedule)
 * and a valid unavailability; no DOWN machine may leave the schedule.
 */
export function validateSchedule(schedule: MaintenanceSchedule | undefined, machines: ReadonlyMap<string, MachineRecord>): string | undefined {
  if (!schedule || typeof schedule !== 'object') return "Expecting 'schedule' to be present"
  const windows = schedule.windows ?? []
  if (!Array.isArray(windows)) return "'windows' must be an array"
  if (windows.length > MAX_WINDOWS) return `Too many maintenance windows (${windows.length}; at most ${MAX_WINDOWS})`
  const updated = new Set<string>()
  for (const w of windows) {
    if (!Array.isArray(w?.machine_ids) || w.machine_ids.length === 0) return 'List of machines in the maintenance window is empty'
    const bad = validateUnavailability(w.unavailability)
    if (bad) return bad
    for (const id of w.machine_ids) {
      const invalid = validateMachine(id)
      if (invalid) return invalid
      const key = machineKey(id)
      if (updated.has(key)) return `Machine '${machineText(id)}' appears more than once in the schedule`
      updated.add(key)
      if (updated.size > MAX_SCHEDULED_MACHINES) return `Too many machines in the schedule (at most ${MAX_SCHEDULED_MACHINES})`
    }
  }
  for (const [key, m] of machines) {
    if (m.mode === 'DOWN' && !updated.has(key)) return `Machine '${machineText(m.id)}' is deactivated and cannot be removed from the schedule`
  }
  return undefined
}

/** What an accepted schedule changes: the new machine table, and which machines' unavailability changed. */
export interface ScheduleChange {
  machines: Map<string, MachineRecord>
  /** Machines whose unavailability is new, changed or gone (their inverse offers are rescinded and resent). */
  changed: MachineRecord[]
}

const sameUnavailability = (a: Unavailability | undefined, b: Unavailability | undefined) =>
  Number(a?.start.nanoseconds) === Number(b?.start.nanoseconds) && Number(a?.duration?.nanoseconds ?? -1) === Number(b?.duration?.nanoseconds ?? -1)

/**
 * upstream Master::Http::___updateMaintenanceSchedule: machines new to the schedule are DRAINING; machines that
 * stay keep their mode with the new unavailability; machines that leave go back UP (and are forgotten).
 */
export function applySchedule(schedule: MaintenanceSchedule, machines: ReadonlyMap<string, MachineRecord>): ScheduleChange {
  const next = new Map<string, MachineRecord>()
  const changed: MachineRecord[] = []
  for (const w of schedule.windows) {
    for (const id of w.machine_ids) {
      const key = machineKey(id)
      const old = machines.get(key)
      const m: MachineRecord = { id: { ...id }, mode: old && old.mode !== 'UP' ? old.mode : 'DRAINING', unavailability: w.unavailability }
      next.set(key, m)
      if (!old || !sameUnavailability(old.unavailability, w.unavailability)) changed.push(m)
    }
  }
  for (const [key, old] of machines) if (!next.has(key)) changed.push({ id: old.id, mode: 'UP' })
  return { machines: next, changed }
}

/** Why not every one of `ids` is a valid, scheduled machine in `mode` (upstream's messages), if so. */
function notAllIn(ids: MachineID[], machines: ReadonlyMap<string, MachineRecord>, mode: MachineMode, change: string): string | undefined {
  const bad = validateMachines(ids)
  if (bad) return bad
  for (const id of ids) {
    const m = machines.get(machineKey(id))
    if (!m) return `Machine '${machineText(id)}' is not part of a maintenance schedule`
    if (m.mode !== mode) return `Machine '${machineText(id)}' is not in ${mode} mode and cannot be ${change}`
  }
  return undefined
}

/** START_MAINTENANCE: every machine must be scheduled and DRAINING; they become DOWN. */
export function startMaintenance(ids: MachineID[], machines: ReadonlyMap<string, MachineRecord>): { error: string } | { machines: Map<string, MachineRecord> } {
  const error = notAllIn(ids, machines, 'DRAINING', 'brought down')
  if (error) return { error }
  const next = new Map(machines)
  for (const id of ids) { const key = machineKey(id); next.set(key, { ...next.get(key)!, mode: 'DOWN' }) }
  return { machines: next }
}

/** STOP_MAINTENANCE: every machine must be DOWN; they leave the machine table and the schedule (empty windows go). */
export function stopMaintenance(ids: MachineID[], machines: ReadonlyMap<string, MachineRecord>, schedule: MaintenanceSchedule):
  { error: string } | { machines: Map<string, MachineRecord>; schedule: MaintenanceSchedule } {
  const error = notAllIn(ids, machines, 'DOWN', 'brought up')
  if (error) return { error }
  const up = new Set(ids.map(machineKey))
  const next = new Map(machines)
  for (const key of up) next.delete(key)
  const windows = schedule.windows
    .map(w => ({ ...w, machine_ids: w.machine_ids.filter(id => !up.has(machineKey(id))) }))
    .filter(w => w.machine_ids.length > 0)
  return { machines: next, schedule: { windows } }
}

/** The scheduled machine an agent is on, if any. */
export function machineOfAgent(machines: ReadonlyMap<string, MachineRecord>, agent: { hostname: string; ip: string }): MachineRecord | undefined {
  for (const m of machines.values()) if (machineMatches(m.id, agent)) return m
  return undefined
}

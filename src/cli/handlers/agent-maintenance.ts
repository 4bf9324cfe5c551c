// meso agent maintenance schedule|show|status|down|up: the maintenance schedule and machine modes through the
// operator API (UPDATE/GET_MAINTENANCE_SCHEDULE, GET_MAINTENANCE_STATUS, START/STOP_MAINTENANCE). See the README's
// Maintenance and drain section.

import { readFileSync } from 'node:fs'
import type AgentMaintenance from '../../commands/agent/maintenance.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, masterUrl, operatorCall } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { color, printJson, table } from '../../client/output.ts'
import { DurationError, formatDuration, parseDuration } from '../../core/duration.ts'
import { machineArg, machineLabel } from './agent-maintenance-machines.ts'

type Parsed = ParsedFor<typeof AgentMaintenance>

export async function execute(parsed: Parsed): Promise<void> {
  // argv holds the action and what follows it (the command is not strict: FILE or machines).
  const [action, ...rest] = parsed.argv
  const base = masterUrl(parsed.flags.master)
  const scheduleFlags = parsed.flags.machine?.length || parsed.flags.start !== undefined || parsed.flags.duration !== undefined || parsed.flags.clear
  if (action !== 'schedule' && scheduleFlags) throw new CliError(`--machine, --start, --duration and --clear go with 'schedule', not '${action}'`, EXIT.USAGE)
  switch (action) {
    case 'schedule': return schedule(base, parsed, rest)
    case 'show': return show(base, parsed.flags.json)
    case 'status': return status(base, parsed.flags.json)
    case 'down':
    case 'up': return setMode(base, rest, action)
    default: throw new CliError(`unknown action '${action}' (schedule, show, status, down, up)`, EXIT.USAGE)
  }
}

function duration(flag: string, text: string): number {
  try { return parseDuration(text) } catch (err) { if (err instanceof DurationError) throw new CliError(`${flag}: ${err.message}`, EXIT.USAGE); throw err }
}

/** `now`, `+10m` (from now), or an ISO date; ms since the epoch. */
export function startTime(text: string, now = Date.now()): number {
  if (text === 'now') return now
  if (text.startsWith('+')) return now + duration('--start', text.slice(1))
  const t = Date.parse(text)
  if (Number.isNaN(t)) throw new CliError(`--start: '${text}' is not 'now', '+DURATION' or an ISO date`, EXIT.USAGE)
  return t
}

async function schedule(base: string, { flags }: Parsed, rest: string[]) {
  const machines = flags.machine ?? []
  if (rest.length > 1) throw new CliError(`schedule takes one FILE, got ${rest.length} arguments`, EXIT.USAGE)
  const file = rest[0]
  let body: unknown
  if (file !== undefined) {
    if (machines.length || flags.clear) throw new CliError('give either a schedule FILE, or --machine (with --start/--duration), or --clear', EXIT.USAGE)
    const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8')
    try { body = JSON.parse(text) } catch (err) { throw new CliError(`${file}: not JSON (${(err as Error).message})`, EXIT.USAGE) }
  } else if (flags.clear) {
    if (machines.length) throw new CliError('--clear takes no --machine', EXIT.USAGE)
    body = { windows: [] }
  } else {
    if (!machines.length) throw new CliError('give a schedule FILE, --machine HOST (repeatable), or --clear', EXIT.USAGE)
    const unavailability: Record<string, unknown> = { start: { nanoseconds: startTime(flags.start ?? 'now') * 1e6 } }
    if (flags.duration !== undefined) unavailability.duration = { nanoseconds: duration('--duration', flags.duration) * 1e6 }
    body = { windows: [{ machine_ids: machines.map(machineArg), unavailability }] }
  }
  await operatorCall(base, 'UPDATE_MAINTENANCE_SCHEDULE', { update_maintenance_schedule: { schedule: body } })
  const windows = (body as { windows?: unknown[] }).windows?.length ?? 0
  console.log(windows ? `maintenance schedule updated: ${windows} window(s)` : 'maintenance schedule cleared')
}

async function show(base: string, json: boolean) {
  const r = await operatorCall<{ schedule?: { windows?: any[] } }>(base, 'GET_MAINTENANCE_SCHEDULE')
  const windows = r.schedule?.windows ?? []
  if (json) { printJson({ windows }); return }
  if (!windows.length) { console.log('no maintenance scheduled'); return }
  console.log(table(['WINDOW', 'MACHINES', 'START', 'DURATION'], windows.map((w, i) => [
    i + 1,
    (w.machine_ids ?? []).map(machineLabel).join(', '),
    new Date(Number(w.unavailability?.start?.nanoseconds ?? 0) / 1e6).toISOString(),
    w.unavailability?.duration ? formatDuration(Number(w.unavailability.duration.nanoseconds) / 1e6) : 'indefinite',
  ])))
}

async function status(base: string, json: boolean) {
  const r = await operatorCall<{ status?: { draining_machines?: any[]; down_machines?: any[] } }>(base, 'GET_MAINTENANCE_STATUS')
  const draining = r.status?.draining_machines ?? []
  const down = r.status?.down_machines ?? []
  if (json) { printJson({ draining_machines: draining, down_machines: down }); return }
  if (!draining.length && !down.length) { console.log('no machines under maintenance'); return }
  console.log(table(['MACHINE', 'MODE', 'INVERSE OFFER ANSWERS'], [
    ...draining.map(m => [machineLabel(m.id), color.yellow('DRAINING'), (m.statuses ?? []).map((s: any) => `${s.framework_id.value}: ${s.status}`).join(', ') || '-']),
    ...down.map(m => [machineLabel(m), color.red('DOWN'), '-']),
  ]))
}

async function setMode(base: string, machines: string[], mode: 'down' | 'up') {
  if (!machines.length) throw new CliError(`name at least one machine to bring ${mode} (HOST, IP or HOST/IP)`, EXIT.USAGE)
  const ids = machines.map(machineArg)
  const type = mode === 'down' ? 'START_MAINTENANCE' : 'STOP_MAINTENANCE'
  await operatorCall(base, type, { [type.toLowerCase()]: { machines: ids } })
  console.log(`${ids.map(machineLabel).join(', ')}: ${mode === 'down' ? 'DOWN (agents removed)' : 'UP (out of the schedule)'}`)
}

// The shapes of TaskInfo.health_check (HealthCheck), TaskInfo.check (CheckInfo) and TaskStatus.check_status
// (CheckStatusInfo) as the v1 API carries them (include/mesos/v1/mesos.proto), and the one probe both are run as:
// upstream's HealthChecker turns a HealthCheck into a CheckInfo too (src/checks/health_checker.cpp, toCheckInfo).

import type { CommandInfo } from '../../core/v1/messages.ts'

export type CheckType = 'COMMAND' | 'HTTP' | 'TCP'
export type IpProtocol = 'IPv4' | 'IPv6'

export interface HealthCheck {
  type?: string
  command?: CommandInfo
  http?: { port?: number; path?: string; scheme?: string; protocol?: IpProtocol; statuses?: number[] }
  tcp?: { port?: number; protocol?: IpProtocol }
  delay_seconds?: number
  interval_seconds?: number
  timeout_seconds?: number
  consecutive_failures?: number
  grace_period_seconds?: number
}

export interface CheckInfo {
  type?: string
  command?: { command?: CommandInfo }
  http?: { port?: number; path?: string }
  tcp?: { port?: number }
  delay_seconds?: number
  interval_seconds?: number
  timeout_seconds?: number
}

export interface CheckStatusInfo {
  type: CheckType
  command?: { exit_code?: number }
  http?: { status_code?: number }
  tcp?: { succeeded?: boolean }
}

/** What one probe does, whichever message asked for it. */
export type ProbeSpec =
  | { type: 'COMMAND'; command: CommandInfo }
  | { type: 'HTTP'; port: number; path: string; scheme: 'http' | 'https'; ipv6: boolean }
  | { type: 'TCP'; port: number; ipv6: boolean }

/** When probes run, in milliseconds; timeoutMs is Infinity for a zero timeout ("Zero means infinite timeout"). */
export interface ProbeTiming {
  delayMs: number
  intervalMs: number
  timeoutMs: number
}

// Defaults of mesos.proto: delay 15 s, interval 10 s, timeout 20 s (both messages); 3 failures, grace 10 s.
const seconds = (v: number | undefined, dflt: number) => (v ?? dflt) * 1000
const timeout = (v: number | undefined) => (v ?? 20) > 0 ? (v ?? 20) * 1000 : Infinity

export function healthTiming(h: HealthCheck): ProbeTiming {
  return { delayMs: seconds(h.delay_seconds, 15), intervalMs: seconds(h.interval_seconds, 10), timeoutMs: timeout(h.timeout_seconds) }
}

export function checkTiming(c: CheckInfo): ProbeTiming {
  return { delayMs: seconds(c.delay_seconds, 15), intervalMs: seconds(c.interval_seconds, 10), timeoutMs: timeout(c.timeout_seconds) }
}

export const healthGraceMs = (h: HealthCheck) => seconds(h.grace_period_seconds, 10)
export const healthConsecutiveFailures = (h: HealthCheck) => h.consecutive_failures ?? 3

/** A validated HealthCheck as a probe (check-validation.ts ran first). */
export function healthProbe(h: HealthCheck): ProbeSpec {
  switch (h.type) {
    case 'COMMAND': return { type: 'COMMAND', command: h.command! }
    case 'HTTP': return { type: 'HTTP', port: h.http!.port!, path: h.http!.path ?? '', scheme: h.http!.scheme === 'https' ? 'https' : 'http', ipv6: h.http!.protocol === 'IPv6' }
    default: return { type: 'TCP', port: h.tcp!.port!, ipv6: h.tcp!.protocol === 'IPv6' }
  }
}

/** A validated CheckInfo as a probe: checks have no scheme (plain http) and no protocol (IPv4). */
export function checkProbe(c: CheckInfo): ProbeSpec {
  switch (c.type) {
    case 'COMMAND': return { type: 'COMMAND', command: c.command!.command! }
    case 'HTTP': return { type: 'HTTP', port: c.http!.port!, path: c.http!.path ?? '', scheme: 'http', ipv6: false }
    default: return { type: 'TCP', port: c.tcp!.port!, ipv6: false }
  }
}

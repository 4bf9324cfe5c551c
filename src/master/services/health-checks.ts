// Marathon's healthChecks and readinessChecks as Mesos checks run by meso's executors (docs/health-checks.md).
// MESOS_HTTP / MESOS_HTTPS / MESOS_TCP / COMMAND map to TaskInfo.health_check one to one. Marathon's own HTTP /
// HTTPS / TCP checks (probed by Marathon from outside) are run the same way, by the executor next to the task:
// the result (healthy or not, the kill after maxConsecutiveFailures) is what Marathon's would be for a task
// reachable on its port. A readiness check becomes TaskInfo.check (HTTP): the task is ready when the last
// check_status.http.status_code is one of httpStatusCodesForReady. Pure.

import type { Issue } from './validation-issues.ts'

export const HEALTH_PROTOCOLS = ['MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP', 'COMMAND', 'HTTP', 'HTTPS', 'TCP'] as const

export interface MarathonHealthCheck {
  protocol: typeof HEALTH_PROTOCOLS[number]
  path?: string
  portIndex?: number
  port?: number
  command?: { value: string }
  gracePeriodSeconds: number
  intervalSeconds: number
  timeoutSeconds: number
  maxConsecutiveFailures: number
  delaySeconds: number
  ipProtocol: 'IPv4' | 'IPv6'
  ignoreHttp1xx?: boolean
}

export interface ReadinessCheck {
  name: string
  protocol: 'HTTP' | 'HTTPS'
  path: string
  portName: string
  intervalSeconds: number
  timeoutSeconds: number
  httpStatusCodesForReady: number[]
  preserveLastResponse: boolean
}

const KNOWN_HC = new Set(['protocol', 'path', 'portIndex', 'port', 'command', 'gracePeriodSeconds', 'intervalSeconds', 'timeoutSeconds', 'maxConsecutiveFailures', 'delaySeconds', 'ipProtocol', 'ignoreHttp1xx'])

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v)

/** A health check with Marathon's defaults, or issues at `at`. */
export function parseHealthCheck(raw: unknown, at: string, issues: Issue[], portCount: number): MarathonHealthCheck | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) { issues.push({ path: at, errors: ['expected an object'] }); return undefined }
  const h = raw as Record<string, any>
  const before = issues.length
  for (const k of Object.keys(h)) if (!KNOWN_HC.has(k)) issues.push({ path: `${at}/${k}`, errors: ['Unknown property'] })
  const protocol = h.protocol ?? 'HTTP'
  if (!(HEALTH_PROTOCOLS as readonly string[]).includes(protocol)) issues.push({ path: `${at}/protocol`, errors: [`error.unknown.enum.value: expected one of ${HEALTH_PROTOCOLS.join(', ')}`] })
  const num = (k: string, dflt: number, min: number) => {
    const v = h[k] ?? dflt
    if (!isInt(v) || v < min) issues.push({ path: `${at}/${k}`, errors: [`got ${JSON.stringify(v)}, expected ${min} or more`] })
    return v as number
  }
  const hc: MarathonHealthCheck = {
    protocol,
    gracePeriodSeconds: num('gracePeriodSeconds', 300, 0),
    intervalSeconds: num('intervalSeconds', 60, 1),
    timeoutSeconds: num('timeoutSeconds', 20, 1),
    maxConsecutiveFailures: num('maxConsecutiveFailures', 3, 0),
    delaySeconds: num('delaySeconds', 15, 0),
    ipProtocol: h.ipProtocol ?? 'IPv4',
  }
  if (hc.ipProtocol !== 'IPv4' && hc.ipProtocol !== 'IPv6') issues.push({ path: `${at}/ipProtocol`, errors: ['expected IPv4 or IPv6'] })
  if (h.ignoreHttp1xx !== undefined) hc.ignoreHttp1xx = Boolean(h.ignoreHttp1xx)
  if (protocol === 'COMMAND') {
    if (typeof h.command?.value !== 'string' || !h.command.value) issues.push({ path: `${at}/command`, errors: ['Health check protocol COMMAND requires a command'] })
    else hc.command = { value: h.command.value }
    if (h.port !== undefined || h.portIndex !== undefined) issues.push({ path: at, errors: ['Health checks with command protocol must not specify port or portIndex'] })
  } else {
    if (h.port !== undefined && h.portIndex !== undefined) issues.push({ path: at, errors: ['Health check must specify either a port or a portIndex, not both'] })
    if (h.port !== undefined) {
      if (!isInt(h.port) || h.port < 1 || h.port > 65535) issues.push({ path: `${at}/port`, errors: [`got ${JSON.stringify(h.port)}, expected between 1 and 65535`] })
      hc.port = h.port
    } else {
      const portIndex = h.portIndex ?? 0
      if (!isInt(portIndex) || portIndex < 0) issues.push({ path: `${at}/portIndex`, errors: [`got ${JSON.stringify(portIndex)}, expected 0 or more`] })
      else if (portIndex >= portCount) issues.push({ path: at, errors: [`Health check port indices must address an element of the ports array or container port mappings.`] })
      hc.portIndex = portIndex
    }
    if (h.path !== undefined) {
      if (typeof h.path !== 'string') issues.push({ path: `${at}/path`, errors: ['expected a string'] })
      else if (protocol.endsWith('TCP')) issues.push({ path: `${at}/path`, errors: ['Health check protocol TCP must not have a path'] })
      else hc.path = h.path
    }
  }
  return issues.length === before ? hc : undefined
}

export function parseReadinessCheck(raw: unknown, at: string, issues: Issue[], portNames: readonly string[]): ReadinessCheck | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) { issues.push({ path: at, errors: ['expected an object'] }); return undefined }
  const r = raw as Record<string, any>
  const before = issues.length
  const rc: ReadinessCheck = {
    name: r.name ?? 'readinessCheck',
    protocol: r.protocol ?? 'HTTP',
    path: r.path ?? '/',
    portName: r.portName ?? 'http-api',
    intervalSeconds: r.intervalSeconds ?? 30,
    timeoutSeconds: r.timeoutSeconds ?? 10,
    httpStatusCodesForReady: r.httpStatusCodesForReady ?? [200],
    preserveLastResponse: r.preserveLastResponse ?? false,
  }
  if (rc.protocol !== 'HTTP') issues.push({ path: `${at}/protocol`, errors: [rc.protocol === 'HTTPS' ? 'HTTPS readiness checks are not supported by meso (its executors run them as plain HTTP checks)' : 'expected HTTP or HTTPS'] })
  if (!portNames.includes(rc.portName)) issues.push({ path: `${at}/portName`, errors: [`No port definition reference for portName ${rc.portName}`] })
  if (!isInt(rc.intervalSeconds) || rc.intervalSeconds < 1) issues.push({ path: `${at}/intervalSeconds`, errors: ['expected 1 or more'] })
  if (!isInt(rc.timeoutSeconds) || rc.timeoutSeconds < 1 || rc.timeoutSeconds >= rc.intervalSeconds) issues.push({ path: `${at}/timeoutSeconds`, errors: ['must be greater than 0 and smaller than intervalSeconds'] })
  if (!Array.isArray(rc.httpStatusCodesForReady) || !rc.httpStatusCodesForReady.length || !rc.httpStatusCodesForReady.every(c => isInt(c) && c >= 100 && c < 600)) issues.push({ path: `${at}/httpStatusCodesForReady`, errors: ['must be a non-empty list of HTTP status codes'] })
  return issues.length === before ? rc : undefined
}

/** The Mesos HealthCheck for a task whose host ports are `hostPorts` (in port definition / mapping order). */
export function mesosHealthCheck(hc: MarathonHealthCheck, hostPorts: readonly number[]): Record<string, unknown> {
  const timing = {
    delay_seconds: hc.delaySeconds, interval_seconds: hc.intervalSeconds, timeout_seconds: hc.timeoutSeconds,
    consecutive_failures: hc.maxConsecutiveFailures, grace_period_seconds: hc.gracePeriodSeconds,
  }
  const port = hc.port ?? hostPorts[hc.portIndex ?? 0]
  switch (hc.protocol) {
    case 'COMMAND': return { type: 'COMMAND', command: { shell: true, value: hc.command!.value }, ...timing }
    case 'MESOS_TCP':
    case 'TCP': return { type: 'TCP', tcp: { port, protocol: hc.ipProtocol }, ...timing }
    default: return {
      type: 'HTTP',
      http: { port, path: hc.path ?? '/', scheme: hc.protocol.endsWith('HTTPS') ? 'https' : 'http', protocol: hc.ipProtocol },
      ...timing,
    }
  }
}

/** The Mesos CheckInfo that reports a readiness check's HTTP status. */
export function mesosReadinessCheck(rc: ReadinessCheck, port: number): Record<string, unknown> {
  return { type: 'HTTP', http: { port, path: rc.path }, delay_seconds: 0, interval_seconds: rc.intervalSeconds, timeout_seconds: rc.timeoutSeconds }
}

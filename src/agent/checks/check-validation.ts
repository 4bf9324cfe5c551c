// Validation of TaskInfo.health_check and TaskInfo.check, with upstream's messages (src/common/validation.cpp,
// validateHealthCheck / validateCheckInfo; the master prefixes "Task uses invalid health check: " and "Task uses
// invalid check: " as src/master/validation.cpp does). Pure. A few refusals are meso's own, for what a JSON client
// can send that protobuf parsing would have refused upstream (a port that is no port, a count that is no count) or
// that meso cannot honour (a SECRET variable in a check's command: the master resolves secrets of the task's own
// CommandInfo only, docs/security-secrets.md).

import type { CommandInfo, Environment } from '../../core/v1/messages.ts'
import type { CheckInfo, HealthCheck } from './check-types.ts'

const TYPES = ['COMMAND', 'HTTP', 'TCP']

function environmentError(env: Environment | undefined): string | undefined {
  for (const v of env?.variables ?? []) {
    if (v.type === 'SECRET') {
      return `Environment variable '${v.name}' of type 'SECRET' is not supported in a check's command (meso resolves secrets in the task's own CommandInfo only)`
    }
    if (v.value === undefined) return `Environment variable '${v.name}' of type 'VALUE' must have a value set`
    if (v.secret !== undefined) return `Environment variable '${v.name}' of type 'VALUE' must not have a secret set`
  }
  return undefined
}

function portError(port: unknown, field: string): string | undefined {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return `Expecting '${field}' to be a port number (1-65535), got ${JSON.stringify(port) ?? 'nothing'}`
  }
  return undefined
}

function commandError(command: CommandInfo, what: 'health check' | 'check', prefix: string): string | undefined {
  if (!command.value) return `Command ${what} must contain ${command.shell !== false ? "'shell command'" : "'executable path'"}`
  const err = environmentError(command.environment)
  return err ? `${prefix} \`CommandInfo\` is invalid: ${err}` : undefined
}

function secondsError(o: Record<string, unknown>, field: string): string | undefined {
  const v = o[field]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) return `Expecting '${field}' to be a number of seconds, got ${JSON.stringify(v)}`
  if (v < 0) return `Expecting '${field}' to be non-negative`
  return undefined
}

export function healthCheckError(h: HealthCheck): string | undefined {
  if (h.type === undefined) return "HealthCheck must specify 'type'"
  if (!TYPES.includes(h.type)) return `'${h.type}' is not a valid health check type`
  if (h.type === 'COMMAND') {
    if (!h.command) return "Expecting 'command' to be set for COMMAND health check"
    const err = commandError(h.command, 'health check', "Health check's")
    if (err) return err
  } else if (h.type === 'HTTP') {
    if (!h.http) return "Expecting 'http' to be set for HTTP health check"
    const { scheme, path } = h.http
    if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return `Unsupported HTTP health check scheme: '${scheme}'`
    if (path !== undefined && !path.startsWith('/')) return `The path '${path}' of HTTP health check must start with '/'`
    const err = portError(h.http.port, 'http.port')
    if (err) return err
  } else {
    if (!h.tcp) return "Expecting 'tcp' to be set for TCP health check"
    const err = portError(h.tcp.port, 'tcp.port')
    if (err) return err
  }
  for (const f of ['delay_seconds', 'grace_period_seconds', 'interval_seconds', 'timeout_seconds']) {
    const err = secondsError(h as Record<string, unknown>, f)
    if (err) return err
  }
  const n = h.consecutive_failures
  if (n !== undefined && !(Number.isInteger(n) && n >= 0)) return `Expecting 'consecutive_failures' to be a whole number, got ${JSON.stringify(n)}`
  return undefined
}

export function checkInfoError(c: CheckInfo): string | undefined {
  if (c.type === undefined) return "CheckInfo must specify 'type'"
  if (!TYPES.includes(c.type)) return `'${c.type}' is not a valid check type`
  if (c.type === 'COMMAND') {
    if (!c.command?.command) return "Expecting 'command' to be set for COMMAND check"
    const err = commandError(c.command.command, 'check', "Check's")
    if (err) return err
  } else if (c.type === 'HTTP') {
    if (!c.http) return "Expecting 'http' to be set for HTTP check"
    if (c.http.path !== undefined && !c.http.path.startsWith('/')) return `The path '${c.http.path}' of HTTP check must start with '/'`
    const err = portError(c.http.port, 'http.port')
    if (err) return err
  } else {
    if (!c.tcp) return "Expecting 'tcp' to be set for TCP check"
    const err = portError(c.tcp.port, 'tcp.port')
    if (err) return err
  }
  for (const f of ['delay_seconds', 'interval_seconds', 'timeout_seconds']) {
    const err = secondsError(c as Record<string, unknown>, f)
    if (err) return err
  }
  return undefined
}

/**
 * The task-level messages of the master (validateCheck, validateHealthCheck in src/master/validation.cpp, in that
 * order), and for a task of a group, the refusal of HTTP/TCP health checks for a task with a network of its own.
 */
export function taskChecksError(task: { check?: Record<string, unknown>; health_check?: Record<string, unknown> }): string | undefined {
  if (task.check) {
    const err = checkInfoError(task.check as CheckInfo)
    if (err) return `Task uses invalid check: ${err}`
  }
  if (task.health_check) {
    const err = healthCheckError(task.health_check as HealthCheck)
    if (err) return `Task uses invalid health check: ${err}`
  }
  return undefined
}

export function groupTaskChecksError(task: { health_check?: Record<string, unknown>; container?: { network_infos?: unknown[] } }): string | undefined {
  const type = (task.health_check as HealthCheck | undefined)?.type
  if (task.container?.network_infos?.length && (type === 'HTTP' || type === 'TCP')) {
    return "HTTP and TCP health checks are not supported for nested containers not joining parent's network"
  }
  return undefined
}

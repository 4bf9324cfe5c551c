// The tables and summaries of `meso service list|show|tasks|versions`: apps, their tasks with health, their
// versions, and an app definition in a few lines. Pure: API objects in, rows and lines out (client/output.ts's
// `table` aligns them).

import type { AppDefinition, AppInfo, AppTask } from '../client/services.ts'

export const APP_HEADERS = ['ID', 'RUNNING', 'HEALTHY', 'DEPLOYMENTS', 'CPUS', 'MEM', 'VERSION']

/** A row of `service list`: id, running/wanted, healthy (`-` without health checks), deployments, resources, version. */
export function appRow(app: AppInfo): string[] {
  return [
    app.id,
    `${app.tasksRunning ?? 0}/${app.instances ?? 0}`,
    app.healthChecks?.length ? `${app.tasksHealthy ?? 0}/${app.instances ?? 0}` : '-',
    app.deployments?.length ? app.deployments.map(d => d.id.slice(0, 8)).join(',') : '-',
    String(app.cpus ?? 1),
    String(app.mem ?? 128),
    app.version ?? '-',
  ]
}

export const TASK_HEADERS = ['TASK', 'HOST', 'STATE', 'HEALTH', 'PORTS', 'STARTED', 'VERSION']

/** `healthy`, `unhealthy (3 failures: connection refused)`, or `-` when the task has no health results. */
export function taskHealth(t: AppTask): string {
  const results = t.healthCheckResults ?? []
  if (!results.length) return '-'
  const bad = results.find(r => !r.alive)
  if (!bad) return 'healthy'
  const cause = bad.lastFailureCause ? `: ${bad.lastFailureCause.replace(/\s*\n\s*/g, ' ')}` : ''
  return `unhealthy${bad.consecutiveFailures ? ` (${bad.consecutiveFailures} failures${cause})` : cause ? ` (${cause.slice(2)})` : ''}`
}

export function taskRow(t: AppTask): string[] {
  return [t.id, t.host ?? '-', t.state ?? '-', taskHealth(t), t.ports?.length ? t.ports.join(',') : '-', t.startedAt ?? '-', t.version ?? '-']
}

/** The command an app runs, on one line: `cmd`, else `args` joined, else the image's own. */
export function appCommand(app: AppDefinition): string {
  if (app.cmd) return app.cmd.replace(/\s*\n\s*/g, ' ')
  if (app.args?.length) return app.args.map(a => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')
  return "(the image's entrypoint)"
}

/** A health check in words: `HTTP /health on port index 0`, `COMMAND curl -f localhost`. */
export function healthCheckText(h: NonNullable<AppDefinition['healthChecks']>[number]): string {
  const protocol = h.protocol ?? 'HTTP'
  if (h.command?.value) return `${protocol} ${h.command.value}`
  return `${protocol}${h.path ? ` ${h.path}` : ''} on port index ${h.portIndex ?? 0}`
}

/** The key–value lines at the top of `service show`. */
export function appSummary(app: AppInfo): [string, string][] {
  const fields: [string, string | undefined][] = [
    ['service', app.id],
    ['command', appCommand(app)],
    ['image', app.container?.docker?.image],
    ['resources', [`cpus ${app.cpus ?? 1}`, `mem ${app.mem ?? 128} MB`, `disk ${app.disk ?? 0} MB`, ...(app.gpus ? [`gpus ${app.gpus}`] : [])].join(', ')],
    ['role', app.role],
    ['constraints', app.constraints?.length ? app.constraints.map(c => c.join(':')).join(', ') : undefined],
    ['health checks', app.healthChecks?.length ? app.healthChecks.map(healthCheckText).join('; ') : undefined],
    ['labels', Object.entries(app.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(' ') || undefined],
    ['version', app.version ? `${app.version}${app.versionInfo?.lastConfigChangeAt && app.versionInfo.lastConfigChangeAt !== app.version ? ` (config of ${app.versionInfo.lastConfigChangeAt})` : ''}` : undefined],
  ]
  return fields.filter((f): f is [string, string] => !!f[1])
}

export const VERSION_HEADERS = ['VERSION', 'CURRENT']

/** The versions of an app, newest first, the current one and the one its configuration dates from marked. */
export function versionRows(versions: readonly string[], app: AppInfo): string[][] {
  const sorted = [...versions].sort((a, b) => Date.parse(b) - Date.parse(a))
  return sorted.map(v => {
    const marks = [v === app.version ? 'current' : '', v === app.versionInfo?.lastConfigChangeAt && v !== app.version ? 'current config' : ''].filter(Boolean)
    return [v, marks.join(', ') || '-']
  })
}

/**
 * The version a rollback without a deployment returns to: the newest one older than the current configuration
 * (versions that only scaled the app share that configuration). Undefined when there is none.
 */
export function previousConfigVersion(versions: readonly string[], app: AppInfo): string | undefined {
  const current = Date.parse(app.versionInfo?.lastConfigChangeAt ?? app.version ?? '')
  if (!Number.isFinite(current)) return undefined
  return [...versions].filter(v => Date.parse(v) < current).sort((a, b) => Date.parse(b) - Date.parse(a))[0]
}

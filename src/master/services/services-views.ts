// The JSON Marathon's /v2 API answers with (its AppInfo, Task, DeploymentStepInfo, QueueItem and Group RAML types),
// field for field: strict clients (marathon-python builds its models with exactly these keyword arguments) refuse
// a key they do not know, so meso's additions appear only where a request asks for them (?embed=reasons on
// /v2/deployments). Pure.

import type { AppDefinition } from './app-definition.ts'
import { delayMs } from './backoff.ts'
import { affectedApps, type Deployment } from './deployment.ts'
import { isRunning, TERMINAL_STATES, type Instance } from './instance.ts'
import { processedOffersSummary } from './offer-stats.ts'
import { isUnder, parentOf } from './path-id.ts'
import type { ServiceManager } from './service-manager.ts'

export type AppEmbed = 'tasks' | 'counts' | 'deployments' | 'readiness' | 'lastTaskFailure' | 'taskStats'
export const APP_EMBEDS: AppEmbed[] = ['tasks', 'counts', 'deployments', 'readiness', 'lastTaskFailure', 'taskStats']

/** `?embed=` values (`apps.tasks`, `app.tasks`, `group.apps.tasks`…) as app embeds; unknown ones are errors. */
export function parseAppEmbeds(values: string[]): { embeds: Set<AppEmbed>; groupApps: boolean; groupGroups: boolean } | string {
  const embeds = new Set<AppEmbed>()
  let groupApps = false
  let groupGroups = false
  for (const raw of values.flatMap(v => v.split(',')).map(v => v.trim()).filter(Boolean)) {
    if (raw === 'group.apps') { groupApps = true; continue }
    if (raw === 'group.groups') { groupGroups = true; continue }
    const name = raw.replace(/^(group\.)?(apps?\.)/, '').replace(/^(apps?\.)/, '')
    const embed = name === 'failures' ? 'lastTaskFailure' : name
    if (!(APP_EMBEDS as string[]).includes(embed)) return `Unknown embed parameter: ${raw}`
    embeds.add(embed as AppEmbed)
  }
  return { embeds, groupApps, groupGroups }
}

/** The definition as Marathon shows it (optional fields Marathon omits stay omitted). */
export function definitionJson(app: AppDefinition): Record<string, unknown> {
  const { container, ...rest } = app
  return {
    ...rest,
    ...(container ? {
      container: {
        type: container.type,
        ...(container.docker ? { docker: { image: container.docker.image, forcePullImage: container.docker.forcePullImage, privileged: false, parameters: [] } } : {}),
        volumes: container.volumes,
        portMappings: container.portMappings,
      },
    } : {}),
  }
}

function healthResults(i: Instance, app: AppDefinition | undefined) {
  if (!app?.healthChecks.length || i.healthy === undefined) return []
  return [{
    alive: i.healthy,
    consecutiveFailures: i.healthConsecutiveFailures,
    firstSuccess: i.healthFirstSuccess ?? null,
    lastFailure: i.healthLastFailure ?? null,
    lastSuccess: i.healthLastSuccess ?? null,
    lastFailureCause: i.healthy ? null : 'the health check failed',
    instanceId: i.taskId,
  }]
}

/** Marathon's Task. */
export function taskJson(i: Instance, app: AppDefinition | undefined) {
  return {
    appId: i.appId,
    healthCheckResults: healthResults(i, app),
    host: i.host,
    id: i.taskId,
    ipAddresses: i.ipAddresses,
    ports: i.hostPorts,
    servicePorts: i.servicePorts,
    slaveId: i.agentId,
    stagedAt: i.stagedAt,
    startedAt: i.startedAt ?? null,
    state: i.state,
    version: i.version,
    localVolumes: i.localVolumes ?? [],
    role: app?.role ?? '*',
  }
}

function counts(app: AppDefinition, list: Instance[]) {
  const live = list.filter(i => !TERMINAL_STATES.has(i.state))
  const hc = app.healthChecks.length > 0
  return {
    tasksStaged: live.filter(i => i.state === 'TASK_STAGING' || i.state === 'TASK_STARTING').length,
    tasksRunning: live.filter(isRunning).length,
    tasksHealthy: hc ? live.filter(i => isRunning(i) && i.healthy === true).length : 0,
    tasksUnhealthy: hc ? live.filter(i => isRunning(i) && i.healthy === false).length : 0,
  }
}

function taskStats(app: AppDefinition, list: Instance[], now: number) {
  const stats = (subset: Instance[]) => {
    if (!subset.length) return undefined
    const lives = subset.filter(i => i.startedAt).map(i => (now - Date.parse(i.startedAt!)) / 1000).sort((a, b) => a - b)
    const c = counts(app, subset)
    return {
      stats: {
        counts: { staged: c.tasksStaged, running: c.tasksRunning, healthy: c.tasksHealthy, unhealthy: c.tasksUnhealthy },
        ...(lives.length ? { lifeTime: { averageSeconds: lives.reduce((s, x) => s + x, 0) / lives.length, medianSeconds: lives[Math.floor(lives.length / 2)]! } } : {}),
      },
    }
  }
  const out: Record<string, unknown> = {}
  const latest = list.filter(i => i.configVersion === app.versionInfo.lastConfigChangeAt)
  const outdated = list.filter(i => i.configVersion !== app.versionInfo.lastConfigChangeAt)
  const afterScaling = list.filter(i => i.stagedAt >= app.versionInfo.lastScalingAt)
  for (const [k, v] of [['startedAfterLastScaling', stats(afterScaling)], ['withLatestConfig', stats(latest)], ['withOutdatedConfig', stats(outdated)], ['totalSummary', stats(list)]] as const) if (v) out[k] = v
  return out
}

/** Marathon's AppInfo: the definition and what `embed` asked for. */
export function appJson(app: AppDefinition, embeds: Set<AppEmbed>, m: ServiceManager): Record<string, unknown> {
  const list = m.instancesOf(app.id)
  const out: Record<string, unknown> = definitionJson(app)
  if (embeds.has('counts')) Object.assign(out, counts(app, list))
  if (embeds.has('deployments')) out.deployments = m.deploymentsOf(app.id).map(d => ({ id: d.id }))
  if (embeds.has('readiness')) out.readinessCheckResults = readinessResults(app, list)
  if (embeds.has('tasks')) out.tasks = list.filter(i => !TERMINAL_STATES.has(i.state)).map(i => taskJson(i, app))
  if (embeds.has('lastTaskFailure')) {
    const f = m.lastTaskFailure(app.id)
    if (f) out.lastTaskFailure = f
  }
  if (embeds.has('taskStats')) out.taskStats = taskStats(app, list, Date.now())
  return out
}

function readinessResults(app: AppDefinition, list: Instance[]) {
  const rc = app.readinessChecks[0]
  if (!rc) return []
  return list.filter(i => isRunning(i) && i.configVersion === app.versionInfo.lastConfigChangeAt).map(i => ({
    name: rc.name, taskId: i.taskId, ready: i.ready === true,
    lastResponse: i.readyLastStatus !== undefined ? { status: i.readyLastStatus, contentType: '', body: '' } : null,
  }))
}

/** Marathon's DeploymentStepInfo; with `reasons`, meso's `reason`: why the deployment does not finish. */
export function deploymentJson(d: Deployment, m: ServiceManager, reasons: boolean) {
  const out: Record<string, unknown> = {
    id: d.id,
    version: d.version,
    affectedApps: affectedApps(d),
    affectedPods: [],
    steps: d.steps.map(s => ({ actions: s.actions.map(a => ({ action: a.action, app: a.app })) })),
    currentActions: m.currentActions(d).map(a => {
      const app = m.apps.get(a.app)
      return { action: a.action, app: a.app, readinessCheckResults: app ? readinessResults(app, m.instancesOf(a.app)) : [] }
    }),
    currentStep: m.currentStep(d),
    totalSteps: d.steps.length,
  }
  if (reasons) {
    const r = m.deploymentReason(d)
    if (r) out.reason = r
  }
  return out
}

/** Marathon's QueueItem for an app waiting for launches (or delayed by backoff). */
export function queueItemJson(app: AppDefinition, count: number, m: ServiceManager, withOffers: boolean, now: number) {
  const b = m.backoffOf(app.id)
  const left = Math.max(0, b.until - now)
  const stats = m.offerStats(app.id)
  return {
    count,
    delay: { timeLeftSeconds: Math.ceil(left / 1000), overdue: left === 0 },
    since: stats?.since ?? new Date(now).toISOString(),
    processedOffersSummary: processedOffersSummary(stats ?? { since: '', processed: 0, unused: 0, attempt: {}, last: [] }),
    ...(withOffers ? { lastUnusedOffers: stats?.last ?? [] } : {}),
    app: appJson(app, new Set(['counts', 'deployments']), m),
  }
}

/** The launch delay an app's next failure would give it (for `meso service show`-like views). */
export const nextDelaySeconds = (app: AppDefinition, failures: number) => delayMs(failures + 1, app) / 1000

/** Marathon's Group: the apps directly in `id` and its subgroups, recursively. */
export function groupJson(id: string, m: ServiceManager, embeds: Set<AppEmbed>, version: string): Record<string, unknown> {
  const groups = m.groupIds().filter(g => g !== id && g !== '/' && parentOf(g) === id && isUnder(g, id))
  return {
    id,
    apps: [...m.apps.values()].filter(a => parentOf(a.id) === id).sort((a, b) => (a.id < b.id ? -1 : 1)).map(a => appJson(a, embeds, m)),
    groups: groups.map(g => groupJson(g, m, embeds, version)),
    pods: [],
    dependencies: [],
    version,
    enforceRole: false,
  }
}

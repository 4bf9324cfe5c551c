// The master's long-running services over Marathon's /v2 REST API (docs/services.md): apps, their tasks and
// versions, deployments, the launch queue with its offer statistics, and the /v2/events stream. The shapes are
// Marathon's (docs/docs/rest-api/public/api/v2/types/*.raml in mesosphere/marathon); meso adds nothing the CLI needs
// beyond an optional `reason` on a deployment that cannot make progress.

import { CliError, request } from './cluster.ts'
import { jobApiErrorLine } from './jobs.ts'

export interface HealthCheckResult { alive: boolean; consecutiveFailures?: number; lastFailureCause?: string | null; lastSuccess?: string | null; lastFailure?: string | null; instanceId?: string }

export interface AppTask {
  id: string
  appId: string
  host?: string
  slaveId?: string
  agentId?: string
  ports?: number[]
  state?: string
  stagedAt?: string | null
  startedAt?: string | null
  version?: string
  healthCheckResults?: HealthCheckResult[]
  ipAddresses?: { ipAddress: string; protocol?: string }[]
}

export interface DeploymentAction { action: string; app?: string; pod?: string; readinessCheckResults?: { taskId: string; name?: string; ready: boolean; lastResponse?: { status?: number } }[] }

/** An entry of GET /v2/deployments (Marathon's DeploymentStepInfo). */
export interface Deployment {
  id: string
  version: string
  affectedApps: string[]
  affectedPods?: string[]
  steps: { actions: DeploymentAction[] }[]
  currentActions: DeploymentAction[]
  currentStep: number
  totalSteps: number
  /** meso: why the deployment cannot make progress, when it cannot. */
  reason?: string
}

export interface TaskFailure { appId?: string; host?: string; message?: string; state?: string; taskId?: string; timestamp?: string; version?: string }

/** An app definition as a deploy file and the API carry it (the fields the CLI reads; the rest pass through). */
export interface AppDefinition {
  id: string
  cmd?: string | null
  args?: string[] | null
  instances?: number
  cpus?: number
  mem?: number
  disk?: number
  gpus?: number
  role?: string
  constraints?: string[][]
  container?: { type?: string; docker?: { image?: string }; portMappings?: { containerPort?: number; hostPort?: number; name?: string }[] } | null
  healthChecks?: { protocol?: string; path?: string; portIndex?: number; command?: { value?: string } }[]
  labels?: Record<string, string>
  version?: string
  versionInfo?: { lastScalingAt?: string; lastConfigChangeAt?: string }
  [key: string]: unknown
}

/** An app as GET /v2/apps answers it, with what `embed` asked for. */
export interface AppInfo extends AppDefinition {
  tasksStaged?: number
  tasksRunning?: number
  tasksHealthy?: number
  tasksUnhealthy?: number
  deployments?: { id: string }[]
  tasks?: AppTask[]
  lastTaskFailure?: TaskFailure
  readinessCheckResults?: unknown[]
}

export interface DeclinedOfferStep { reason: string; declined: number; processed: number }

export interface ProcessedOffersSummary {
  processedOffersCount: number
  unusedOffersCount: number
  lastUnusedOfferAt?: string
  lastUsedOfferAt?: string
  rejectSummaryLastOffers?: DeclinedOfferStep[]
  rejectSummaryLaunchAttempt?: DeclinedOfferStep[]
}

export interface UnusedOffer {
  offer: { id: string; hostname: string; agentId: string; resources?: { name: string; role?: string; scalar?: number }[] }
  reason: string[]
  timestamp: string
}

/** An entry of GET /v2/queue: an app waiting for instances to launch. */
export interface QueueItem {
  app: AppDefinition
  count: number
  role?: string
  delay?: { timeLeftSeconds: number; overdue: boolean }
  since?: string
  processedOffersSummary?: ProcessedOffersSummary
  lastUnusedOffers?: UnusedOffer[]
}

/** GET /v2/info, the fields the CLI reads (Marathon's MarathonInfo). */
export interface ServicesInfo { name?: string; version?: string; frameworkId?: string | null; marathon_config?: { framework_name?: string } }

/** What PUT /v2/apps/{id}, DELETE, restart and a rollback answer (Marathon's DeploymentResult). */
export interface DeploymentResult { deploymentId: string; version: string }

export type AppEmbed = 'apps.tasks' | 'apps.counts' | 'apps.deployments' | 'apps.readiness' | 'apps.lastTaskFailure'

/** The largest app file read (an app is a few hundred bytes; a group of many apps stays far below). */
export const MAX_SERVICE_FILE_BYTES = 4 << 20

/**
 * A refused call. `status` lets callers react to 404 and 409; `deployments` are the ids a 409 names (an app locked
 * by a deployment: Marathon's AppLockedException body).
 */
export class ServiceApiError extends CliError {
  constructor(message: string, readonly status: number, readonly deployments: string[] = [], readonly what = '') { super(message) }
}

/** `/web` from `web` or `/web/`: Marathon's absolute path ids. */
export function absoluteAppId(id: string): string {
  const trimmed = id.trim().replace(/\/+$/, '')
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** The URL path of an app id, each segment encoded (Marathon takes the path ids unencoded: /v2/apps/prod/web). */
const appPath = (id: string) => absoluteAppId(id).split('/').filter(Boolean).map(encodeURIComponent).join('/')

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' }

function lockedBy(text: string): string[] {
  try {
    const body = JSON.parse(text) as { deployments?: { id?: unknown }[] }
    return (body.deployments ?? []).map(d => String(d.id ?? '')).filter(Boolean)
  } catch { return [] }
}

async function call<T>(url: string, what: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await request(url, { ...init, headers: JSON_HEADERS })
  const text = await res.text()
  // Marathon's error bodies are the ones Metronome copied: {message, details: [{path, errors}]}.
  if (!res.ok) throw new ServiceApiError(jobApiErrorLine(what, res.status, res.statusText, text), res.status, res.status === 409 ? lockedBy(text) : [], what)
  let body: T
  try { body = (text ? JSON.parse(text) : undefined) as T } catch {
    throw new CliError(`${what}: the master answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`)
  }
  return { status: res.status, body, headers: res.headers }
}

const query = (params: [string, string | boolean | undefined][]) => {
  const q = params.filter(([, v]) => v !== undefined && v !== false).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
  return q.length ? `?${q.join('&')}` : ''
}

export class ServicesClient {
  constructor(readonly master: string) {}

  private url(path: string) { return `${this.master}/v2${path}` }

  async list(embed: readonly AppEmbed[] = []): Promise<AppInfo[]> {
    return (await call<{ apps?: AppInfo[] }>(this.url(`/apps${query(embed.map(e => ['embed', e]))}`), 'listing services')).body?.apps ?? []
  }

  async get(id: string, embed: readonly AppEmbed[] = []): Promise<AppInfo> {
    return (await call<{ app: AppInfo }>(this.url(`/apps/${appPath(id)}${query(embed.map(e => ['embed', e]))}`), `reading service '${absoluteAppId(id)}'`)).body.app
  }

  /**
   * Creates app `app` or replaces its definition (PUT with partialUpdate=false: a field left out of the file goes
   * back to its default rather than keeping the running value); `created` when it did not exist.
   */
  async put(app: AppDefinition, force = false): Promise<DeploymentResult & { created: boolean }> {
    const id = absoluteAppId(app.id)
    const r = await call<DeploymentResult>(this.url(`/apps/${appPath(id)}${query([['force', force], ['partialUpdate', 'false']])}`), `deploying service '${id}'`, { method: 'PUT', body: JSON.stringify({ ...app, id }) })
    return { ...deploymentResult(r, `deploying service '${id}'`), created: r.status === 201 }
  }

  /**
   * Creates or replaces several apps in one deployment (PUT /v2/apps with the list, partialUpdate=false), so that
   * Marathon orders their `dependencies`.
   */
  async putMany(apps: readonly AppDefinition[], force = false): Promise<DeploymentResult> {
    const what = `deploying services ${apps.map(a => absoluteAppId(a.id)).join(', ')}`
    const r = await call<DeploymentResult>(this.url(`/apps${query([['force', force], ['partialUpdate', 'false']])}`), what, { method: 'PUT', body: JSON.stringify(apps.map(a => ({ ...a, id: absoluteAppId(a.id) }))) })
    return deploymentResult(r, what)
  }

  /** Deploys stored version `version` of app `id` again (PUT {"version": …}, as marathon-python's rollback_app). */
  async deployVersion(id: string, version: string, force = false): Promise<DeploymentResult> {
    const what = `rolling service '${absoluteAppId(id)}' back to version ${version}`
    const r = await call<DeploymentResult>(this.url(`/apps/${appPath(id)}${query([['force', force]])}`), what, { method: 'PUT', body: JSON.stringify({ version }) })
    return deploymentResult(r, what)
  }

  async scale(id: string, instances: number, force = false): Promise<DeploymentResult> {
    const r = await call<DeploymentResult>(this.url(`/apps/${appPath(id)}${query([['force', force]])}`), `scaling service '${absoluteAppId(id)}'`, { method: 'PUT', body: JSON.stringify({ instances }) })
    return deploymentResult(r, `scaling service '${absoluteAppId(id)}'`)
  }

  async restart(id: string, force = false): Promise<DeploymentResult> {
    const r = await call<DeploymentResult>(this.url(`/apps/${appPath(id)}/restart${query([['force', force]])}`), `restarting service '${absoluteAppId(id)}'`, { method: 'POST' })
    return deploymentResult(r, `restarting service '${absoluteAppId(id)}'`)
  }

  async remove(id: string, force = false): Promise<DeploymentResult> {
    const r = await call<DeploymentResult>(this.url(`/apps/${appPath(id)}${query([['force', force]])}`), `removing service '${absoluteAppId(id)}'`, { method: 'DELETE' })
    return deploymentResult(r, `removing service '${absoluteAppId(id)}'`)
  }

  async tasks(id: string): Promise<AppTask[]> {
    return (await call<{ tasks?: AppTask[] }>(this.url(`/apps/${appPath(id)}/tasks`), `listing the tasks of service '${absoluteAppId(id)}'`)).body?.tasks ?? []
  }

  /** The app's versions, newest first (as Marathon lists them). */
  async versions(id: string): Promise<string[]> {
    return (await call<{ versions?: string[] }>(this.url(`/apps/${appPath(id)}/versions`), `listing the versions of service '${absoluteAppId(id)}'`)).body?.versions ?? []
  }

  /** The deployments in progress, with meso's `reason` for those that cannot make progress (?embed=reasons). */
  async deployments(): Promise<Deployment[]> {
    return (await call<Deployment[]>(this.url('/deployments?embed=reasons'), 'listing deployments')).body ?? []
  }

  /**
   * Cancels deployment `id`: Marathon starts a deployment that reverts its changes and answers it (200); with
   * `force`, the deployment just stops and nothing is answered (202).
   */
  async cancelDeployment(id: string, force = false): Promise<DeploymentResult | undefined> {
    const what = force ? `stopping deployment ${id}` : `rolling back deployment ${id}`
    const r = await call<DeploymentResult | undefined>(this.url(`/deployments/${encodeURIComponent(id)}${query([['force', force]])}`), what, { method: 'DELETE' })
    return r.status === 202 || !r.body ? undefined : deploymentResult(r as { status: number; body: DeploymentResult; headers: Headers }, what)
  }

  /** GET /v2/info: the services framework's id and name (`marathon_config.framework_name`), among others. */
  async info(): Promise<ServicesInfo> {
    return (await call<ServicesInfo>(this.url('/info'), 'reading the services info')).body
  }

  async queue(): Promise<QueueItem[]> {
    return (await call<{ queue?: QueueItem[] }>(this.url('/queue?embed=lastUnusedOffers'), 'reading the launch queue')).body?.queue ?? []
  }

  /**
   * Opens the /v2/events stream (server-sent events) for `types`; throws a ServiceApiError when the master refuses
   * it. meso's own types (offers_declined_event) come only when named.
   */
  async openEvents(types: readonly string[], signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const res = await request(this.url(`/events${query(types.map(t => ['event_type', t]))}`), { headers: { Accept: 'text/event-stream' }, signal })
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '')
      throw new ServiceApiError(jobApiErrorLine('opening the event stream', res.status, res.statusText, text), res.status)
    }
    return res.body
  }
}

/** The DeploymentResult of an answer, the Marathon-Deployment-Id header standing in for a body without one. */
function deploymentResult(r: { body: DeploymentResult | undefined; headers: Headers }, what: string): DeploymentResult {
  const deploymentId = r.body?.deploymentId ?? r.headers.get('Marathon-Deployment-Id') ?? undefined
  if (!deploymentId) throw new CliError(`${what}: the master started no deployment (its answer names none)`)
  return { deploymentId, version: r.body?.version ?? '' }
}

// Services (Marathon's /v2 API on the master's services scheduler, docs/services.md) as the UI shows them: the JSON
// shapes it reads, an app's status, why an app does not run (the queue's offer statistics), stuck deployments as
// overview alerts, and which requests an event on /v2/events makes stale. Pure.

import type { Alert } from './alerts.ts'

export interface TaskJson {
  id: string
  appId: string
  host: string
  slaveId: string
  state: string
  ports: number[]
  ipAddresses?: { ipAddress: string; protocol: string }[]
  stagedAt: string
  startedAt: string | null
  version: string
  healthCheckResults?: { alive: boolean; consecutiveFailures: number; lastFailureCause: string | null; lastSuccess: string | null; lastFailure: string | null }[]
}

export interface AppJson {
  id: string
  cmd?: string | null
  args?: string[] | null
  instances: number
  cpus: number
  mem: number
  disk?: number
  gpus?: number
  role?: string
  user?: string
  constraints?: string[][]
  container?: { type: string; docker?: { image: string } }
  healthChecks?: { protocol: string; path?: string; portIndex?: number }[]
  portDefinitions?: { port: number; name?: string }[]
  labels?: Record<string, string>
  version?: string
  versionInfo?: { lastConfigChangeAt: string; lastScalingAt: string }
  tasksStaged?: number
  tasksRunning?: number
  tasksHealthy?: number
  tasksUnhealthy?: number
  deployments?: { id: string }[]
  tasks?: TaskJson[]
  lastTaskFailure?: { state: string; message: string; timestamp: string; taskId: string; host: string }
}

export interface DeploymentJson {
  id: string
  version: string
  affectedApps: string[]
  steps: { actions: { action: string; app: string }[] }[]
  currentActions: { action: string; app: string; readinessCheckResults?: { taskId: string; ready: boolean }[] }[]
  currentStep: number
  totalSteps: number
  /** meso's addition with ?embed=reasons: why the deployment does not finish. */
  reason?: string
}

export interface RejectRow { reason: string; declined: number; processed: number }

export interface UnusedOfferJson {
  offer: { id: string; agentId: string; hostname: string; resources: { name: string; scalar?: number; role: string }[] }
  timestamp: string
  reason: string[]
}

export interface QueueItemJson {
  count: number
  delay: { timeLeftSeconds: number; overdue: boolean }
  since: string
  processedOffersSummary: {
    processedOffersCount: number
    unusedOffersCount: number
    lastUnusedOfferAt?: string
    lastUsedOfferAt?: string
    rejectSummaryLastOffers: RejectRow[]
    rejectSummaryLaunchAttempt: RejectRow[]
  }
  lastUnusedOffers?: UnusedOfferJson[]
  app: { id: string }
}

export type AppStatus = 'running' | 'deploying' | 'delayed' | 'waiting' | 'suspended'

/** Marathon's UI statuses: a deployment in progress first, then a launch delay, then whether it runs what it wants. */
export function appStatus(app: AppJson, queued?: QueueItemJson): AppStatus {
  if (queued && queued.delay.timeLeftSeconds > 0) return 'delayed'
  if (app.deployments?.length) return 'deploying'
  if (app.instances === 0 && !app.tasksRunning) return 'suspended'
  if ((app.tasksRunning ?? 0) < app.instances || queued) return 'waiting'
  return 'running'
}

export const statusTone = (s: AppStatus) => (s === 'running' ? 'ok' : s === 'suspended' ? 'done' : s === 'deploying' ? 'busy' : 'bad')

/** Whether an app has health checks, so that its healthy count means something. */
export const hasHealthChecks = (app: AppJson) => (app.healthChecks?.length ?? 0) > 0

/** A task's health as one word: its first check's last result, or none. */
export function taskHealth(t: TaskJson): 'healthy' | 'unhealthy' | undefined {
  const r = t.healthCheckResults?.[0]
  return r ? (r.alive ? 'healthy' : 'unhealthy') : undefined
}

export interface RejectBar { reason: string; declined: number; of: number }

/**
 * Why not running as bars: each reason that declined some of the last offers, with how many of them (Marathon's
 * funnel counts each offer under the first reason that stopped it, so the counts add up to the declined offers).
 * "InsufficientCpus 6/10". Most declined first.
 */
export function rejectBars(rows: readonly RejectRow[]): RejectBar[] {
  const of = rows[0]?.processed ?? 0
  return rows.filter(r => r.declined > 0).map(r => ({ reason: r.reason, declined: r.declined, of })).sort((a, b) => b.declined - a.declined)
}

/** The queue's item for an app (one per waiting app). */
export const queueItemOf = (queue: readonly QueueItemJson[], appId: string) => queue.find(q => q.app.id === appId)

/** A deployment with a reason is waiting for something it may never get: an overview alert each. */
export function deploymentAlerts(deployments: readonly DeploymentJson[]): Alert[] {
  return deployments.filter(d => d.reason).map(d => ({
    level: 'warning' as const,
    text: `deployment of ${d.affectedApps.join(', ')} is stuck: ${d.reason}`,
    ...(d.affectedApps[0] ? { link: serviceHref(d.affectedApps[0]) } : {}),
  }))
}

/** `#/services/prod/web` for `/prod/web`: readable, each segment encoded. */
export const serviceHref = (id: string) => `#/services/${id.split('/').filter(Boolean).map(encodeURIComponent).join('/')}`

/** What the UI must read again after an event: the app list, the deployments, the queue, single apps. */
export interface Stale {
  list: boolean
  deployments: boolean
  queue: boolean
  /** Offers were declined: the queue's statistics and the deployments' reasons moved (read at a bounded rate). */
  offers: boolean
  apps: Set<string>
}

export const nothingStale = (): Stale => ({ list: false, deployments: false, queue: false, offers: false, apps: new Set() })

/** The event types the UI subscribes to (`?event_type=`): what changes what it shows, nothing more. */
export const WATCHED_EVENTS = [
  'event_stream_attached', 'api_post_event', 'deployment_info', 'deployment_step_success', 'deployment_success', 'deployment_failed',
  'status_update_event', 'health_status_changed_event', 'unhealthy_task_kill_event', 'app_terminated_event', 'offers_declined_event',
] as const

/** Marks in `s` what event `type` with `data` makes stale. Apps are read one by one; a plan's apps from its steps. */
export function markStale(s: Stale, type: string, data: Record<string, unknown>): void {
  const appId = typeof data.appId === 'string' ? data.appId : undefined
  switch (type) {
    case 'event_stream_attached':
      // (Re)connected: whatever happened while the stream was down is unknown, so everything.
      s.list = s.deployments = s.queue = true
      return
    case 'api_post_event': case 'app_terminated_event':
      s.list = s.deployments = s.queue = true
      return
    case 'deployment_info': case 'deployment_step_success': case 'deployment_success': case 'deployment_failed': {
      s.deployments = s.queue = true
      const plan = data.plan as { steps?: { actions?: { app?: string }[] }[] } | undefined
      for (const step of plan?.steps ?? []) for (const a of step.actions ?? []) if (a.app) s.apps.add(a.app)
      return
    }
    case 'status_update_event': case 'health_status_changed_event': case 'unhealthy_task_kill_event':
      if (appId) s.apps.add(appId)
      s.queue = true
      return
    case 'offers_declined_event':
      s.offers = true
  }
}

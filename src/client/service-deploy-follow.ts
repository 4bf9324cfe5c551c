// Follows deployments of the master's services until each succeeds or fails: /v2/events says when
// (`deployment_success`, `deployment_failed`) and when to look again (steps, task status and health changes);
// /v2/deployments, the apps' counts and /v2/queue say where it stands and why instances do not start. When the event
// stream is not available or breaks, polling alone decides: a deployment gone from /v2/deployments ended, and it
// succeeded when its apps are as it wanted them (running and healthy, or removed). The deployment belongs to the
// master: leaving stops the following, never the deployment.

import type { DeploymentOutcome, FollowSnapshot } from '../cli/service-progress.ts'
import { readServiceEvents, type ServiceEvent } from './service-events.ts'
import { ServiceApiError, type AppInfo, type Deployment, type QueueItem, type ServicesClient } from './services.ts'

/** How often the state is read while nothing wakes the follower. */
const POLL_MS = 1000
/** How soon after an event the state is read again (events come in bursts). */
const EVENT_DEBOUNCE_MS = 150
/** With the event stream live, how long a deployment gone from the list may wait for its outcome event. */
const OUTCOME_EVENT_GRACE_MS = 2000
/** How long the event stream may take to answer before the follower polls instead. */
const OPEN_TIMEOUT_MS = 3000
/** Events buffered before the follower reads them (it opens the stream before the change, so none is missed). */
const MAX_BUFFERED_EVENTS = 10_000

/**
 * The events that tell the follower something: a deployment's progress and outcome, and what changes an app's
 * counts or its reasons to wait (meso's offers_declined_event).
 */
export const FOLLOWED_EVENT_TYPES = [
  // Asked for so that the stream starts with it: a server holding the response headers until the first event would
  // otherwise keep the change waiting until its first heartbeat.
  'event_stream_attached',
  'deployment_info', 'deployment_success', 'deployment_failed', 'deployment_step_success', 'deployment_step_failure',
  'status_update_event', 'health_status_changed_event', 'instance_health_changed_event', 'offers_declined_event',
]

/** The /v2/events stream, opened before a change is asked for and buffered until the follower reads it. */
export class EventSubscription {
  readonly events: ServiceEvent[] = []
  live = false
  /** Why the stream is not (or no longer) live. */
  why?: string
  private abort = new AbortController()
  private wake?: () => void

  /** Opens the stream; when it cannot be opened (or does not answer in time) the follower polls instead. */
  static async open(client: ServicesClient): Promise<EventSubscription> {
    const sub = new EventSubscription()
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<'late'>(resolve => { timer = setTimeout(() => resolve('late'), OPEN_TIMEOUT_MS) })
    try {
      const opening = client.openEvents(FOLLOWED_EVENT_TYPES, sub.abort.signal)
      opening.catch(() => { /* answered below, or abandoned as late */ })
      const body = await Promise.race([opening, late])
      if (body === 'late') {
        sub.abort.abort()
        sub.why = `the event stream did not answer within ${OPEN_TIMEOUT_MS / 1000}s`
      } else {
        sub.live = true
        void sub.read(body)
      }
    } catch (err) {
      sub.why = (err as Error).message
    } finally {
      clearTimeout(timer)
    }
    return sub
  }

  private async read(body: ReadableStream<Uint8Array>) {
    try {
      for await (const e of readServiceEvents(body)) {
        if (this.events.length < MAX_BUFFERED_EVENTS) this.events.push(e)
        this.wake?.()
      }
      this.why = 'the event stream ended'
    } catch (err) {
      if (!this.abort.signal.aborted) this.why = `the event stream broke: ${(err as Error).message}`
    }
    this.live = false
    this.wake?.()
  }

  /** Resolves once there are more than `seen` events (or the stream ended), or after `ms`. */
  next(seen: number, ms: number): Promise<void> {
    if (this.events.length > seen || !this.live) return Promise.resolve()
    return new Promise(resolve => {
      const timer = setTimeout(() => { this.wake = undefined; resolve() }, ms)
      this.wake = () => { clearTimeout(timer); this.wake = undefined; resolve() }
    })
  }

  close() { this.abort.abort() }
}

export interface FollowResult {
  ok: boolean
  /** Why it failed, or why it had not succeeded when the timeout passed. */
  reason?: string
  timedOut: boolean
  snapshot: FollowSnapshot
}

export interface FollowOptions {
  /** Give up after this long (the deployment goes on); no limit when undefined. */
  timeoutMs?: number
  onSnapshot: (s: FollowSnapshot) => void
}

const planId = (e: ServiceEvent): string | undefined => {
  const plan = e.data.plan as { id?: unknown } | undefined
  const id = e.data.id ?? plan?.id
  return typeof id === 'string' ? id : undefined
}

/**
 * Follows deployments `deploymentIds` (of apps `appIds`, more as the deployments name them) until each has an
 * outcome or the timeout passes. `events` was opened before the change was asked for.
 */
export async function followDeployments(client: ServicesClient, deploymentIds: readonly string[], appIds: readonly string[], events: EventSubscription, opts: FollowOptions): Promise<FollowResult> {
  const startedAtMs = Date.now()
  const deployments = new Map<string, Deployment>()
  const apps = new Map<string, AppInfo | null>()
  const wanted = new Set(appIds)
  let queue: QueueItem[] = []
  const outcomes = new Map<string, DeploymentOutcome>()
  const goneSince = new Map<string, number>()
  const followed = new Set(deploymentIds)
  let read = 0
  const snapshot = (): FollowSnapshot => ({ deploymentIds, deployments, apps, queue, outcomes, startedAtMs, eventsLive: events.live })

  for (;;) {
    for (; read < events.events.length; read++) {
      const e = events.events[read]!
      const id = planId(e)
      if (!id || !followed.has(id) || outcomes.has(id)) continue
      if (e.type === 'deployment_success') outcomes.set(id, { ok: true })
      else if (e.type === 'deployment_failed') outcomes.set(id, { ok: false, reason: typeof e.data.reason === 'string' && e.data.reason ? e.data.reason : 'the deployment was cancelled or could not complete' })
    }

    const listed = await client.deployments()
    for (const d of listed) {
      if (!followed.has(d.id)) continue
      deployments.set(d.id, d)
      for (const a of d.affectedApps ?? []) wanted.add(a)
    }
    for (const id of wanted) apps.set(id, await readApp(client, id))
    // The queue only explains why instances wait; a master that cannot answer it now still lets the follow go on,
    // with the last explanation it gave.
    queue = await client.queue().catch(() => queue)

    const now = Date.now()
    for (const id of deploymentIds) {
      if (outcomes.has(id)) continue
      if (listed.some(d => d.id === id)) { goneSince.delete(id); continue }
      if (!goneSince.has(id)) goneSince.set(id, now)
      // With the stream live the outcome event is on its way; without it, the apps' state is the outcome.
      if (events.live && now - goneSince.get(id)! < OUTCOME_EVENT_GRACE_MS) continue
      deployments.delete(id)
      outcomes.set(id, judgeFinished(id, apps, wanted))
    }
    opts.onSnapshot(snapshot())

    if (deploymentIds.every(id => outcomes.has(id))) {
      const failed = deploymentIds.map(id => ({ id, o: outcomes.get(id)! })).filter(x => !x.o.ok)
      return { ok: !failed.length, reason: failed.map(f => (deploymentIds.length > 1 ? `deployment ${f.id}: ${f.o.reason}` : f.o.reason)).join('; ') || undefined, timedOut: false, snapshot: snapshot() }
    }
    if (opts.timeoutMs !== undefined && now - startedAtMs >= opts.timeoutMs) return { ok: false, timedOut: true, snapshot: snapshot() }

    const left = opts.timeoutMs !== undefined ? Math.max(0, startedAtMs + opts.timeoutMs - now) : POLL_MS
    if (events.live) {
      await events.next(read, Math.min(POLL_MS, left))
      await Bun.sleep(EVENT_DEBOUNCE_MS)
    } else {
      await Bun.sleep(Math.min(POLL_MS, left))
    }
  }
}

async function readApp(client: ServicesClient, id: string): Promise<AppInfo | null> {
  try {
    return await client.get(id, ['apps.counts', 'apps.lastTaskFailure'])
  } catch (err) {
    if (err instanceof ServiceApiError && err.status === 404) return null
    throw err
  }
}

/**
 * The outcome of a deployment that left /v2/deployments without an outcome event: it did what it was for when every
 * app it affected is removed (a StopApplication) or runs its instances, healthy where it has health checks.
 */
function judgeFinished(id: string, apps: ReadonlyMap<string, AppInfo | null>, wanted: ReadonlySet<string>): DeploymentOutcome {
  const short: string[] = []
  for (const appId of wanted) {
    const app = apps.get(appId)
    if (app === null || app === undefined) continue
    if ((app.deployments ?? []).some(d => d.id === id)) continue
    const want = app.instances ?? 0
    if ((app.tasksRunning ?? 0) < want) short.push(`${appId} runs ${app.tasksRunning ?? 0} of ${want} instances`)
    else if (app.healthChecks?.length && (app.tasksHealthy ?? 0) < want) short.push(`${appId} has ${app.tasksHealthy ?? 0} of ${want} instances healthy`)
  }
  return short.length ? { ok: false, reason: `the deployment ended (cancelled or replaced) while ${short.join(', ')}` } : { ok: true }
}

// How a deployment being followed (`meso service deploy`, scale, restart, rollback, rm) is shown: on a TTY a block
// redrawn in place — each deployment's step, each affected app's instances running/healthy/staged, and for an app
// that waits for offers why they were declined (service-offers.ts); otherwise one plain line per change. Pure:
// snapshots of what the follower (client/service-deploy-follow.ts) saw in, lines out.

import type { AppInfo, Deployment, QueueItem } from '../client/services.ts'
import { queued, unusedOfferLines, waitingLine, worthShowing } from './service-offers.ts'

export interface DeploymentOutcome { ok: boolean; reason?: string }

/** What the follower knows at one moment. */
export interface FollowSnapshot {
  /** The deployments followed, in the order they were started. */
  deploymentIds: readonly string[]
  /** Each followed deployment as /v2/deployments last listed it (absent: not listed, or not yet read). */
  deployments: ReadonlyMap<string, Deployment>
  /** The apps concerned, by id, as last read; null once the app is gone (404). */
  apps: ReadonlyMap<string, AppInfo | null>
  queue: readonly QueueItem[]
  outcomes: ReadonlyMap<string, DeploymentOutcome>
  startedAtMs: number
  /** Whether /v2/events is being read (else the follower polls). */
  eventsLive: boolean
}

/** `step 1/2: StartApplication /web, ScaleApplication /db`. */
export function stepText(d: Deployment): string {
  const actions = (d.currentActions?.length ? d.currentActions : d.steps?.[Math.max(0, d.currentStep - 1)]?.actions ?? [])
    .map(a => `${a.action} ${a.app ?? a.pod ?? ''}`.trim())
  return `step ${d.currentStep}/${d.totalSteps}${actions.length ? `: ${actions.join(', ')}` : ''}`
}

/** Readiness checks not passed yet, as `readiness: 1 of 3 tasks not ready (myReadyCheck)`; undefined when none. */
export function readinessText(d: Deployment): string | undefined {
  const results = (d.currentActions ?? []).flatMap(a => a.readinessCheckResults ?? [])
  const waiting = results.filter(r => !r.ready)
  if (!waiting.length) return undefined
  const names = [...new Set(waiting.map(r => r.name).filter(Boolean))]
  return `readiness: ${waiting.length} of ${results.length} tasks not ready${names.length ? ` (${names.join(', ')})` : ''}`
}

/** `2/3 running, 1 healthy, 1 staged` — healthy only for an app with health checks, staged and unhealthy when any. */
export function instancesText(app: AppInfo): string {
  const parts = [`${app.tasksRunning ?? 0}/${app.instances ?? 0} running`]
  if (app.healthChecks?.length) parts.push(`${app.tasksHealthy ?? 0} healthy`)
  if (app.tasksUnhealthy) parts.push(`${app.tasksUnhealthy} unhealthy`)
  if (app.tasksStaged) parts.push(`${app.tasksStaged} staged`)
  return parts.join(', ')
}

/** The apps a snapshot is about: every app the followed deployments affect, in first-seen order. */
function appIds(s: FollowSnapshot): string[] {
  const ids = new Set<string>()
  for (const id of s.deploymentIds) for (const a of s.deployments.get(id)?.affectedApps ?? []) ids.add(a)
  for (const id of s.apps.keys()) ids.add(id)
  return [...ids]
}

function outcomeText(o: DeploymentOutcome): string {
  return o.ok ? 'succeeded' : `failed${o.reason ? `: ${o.reason}` : ''}`
}

/** The block shown on a TTY, redrawn on every change. */
export function progressBlock(s: FollowSnapshot, nowMs: number): string[] {
  const lines: string[] = []
  const elapsed = Math.max(0, Math.round((nowMs - s.startedAtMs) / 1000))
  for (const id of s.deploymentIds) {
    const outcome = s.outcomes.get(id)
    const d = s.deployments.get(id)
    const state = outcome ? outcomeText(outcome) : d ? stepText(d) : 'starting'
    lines.push(`deployment ${id}  ${state}`)
    if (!outcome && d?.reason) lines.push(`  waiting on: ${d.reason}`)
    const readiness = !outcome && d ? readinessText(d) : undefined
    if (readiness) lines.push(`  ${readiness}`)
  }
  for (const id of appIds(s)) {
    const app = s.apps.get(id)
    if (app === null) { lines.push(`${id}  removed`); continue }
    if (!app) continue
    lines.push(`${id}  ${instancesText(app)}`)
    const q = queued(s.queue, id)
    if (q && worthShowing(q, nowMs)) {
      lines.push(`  ${waitingLine(q, nowMs)}`)
      for (const l of unusedOfferLines(q.lastUnusedOffers ?? [], nowMs, 5)) lines.push(`    ${l}`)
    }
    if (app.lastTaskFailure?.message && failedSince(app, s.startedAtMs)) lines.push(`  last task failure: ${failureText(app)}`)
  }
  const done = s.deploymentIds.every(id => s.outcomes.has(id))
  lines.push(done ? `${elapsed}s` : `${elapsed}s${s.eventsLive ? '' : ' (polling: the event stream is not available)'}  Ctrl-C stops following; the deployment goes on`)
  return lines
}

/** Whether the app's last task failure happened while following (older ones are not this deployment's). */
function failedSince(app: AppInfo, sinceMs: number): boolean {
  const t = Date.parse(app.lastTaskFailure?.timestamp ?? '')
  return Number.isFinite(t) && t >= sinceMs - 1000
}

function failureText(app: AppInfo): string {
  const f = app.lastTaskFailure!
  return `${f.state ?? 'failed'}${f.host ? ` on ${f.host}` : ''}: ${(f.message ?? '').replace(/\s*\n\s*/g, ' ')}`
}

/**
 * Plain progress (not a TTY): each thing shown once, and again only when it changes — a deployment's step, an app's
 * instances, why it waits, its last task failure. Keeps what it printed last.
 */
export class PlainProgress {
  private printed = new Map<string, string>()
  private wasLive = false

  changes(s: FollowSnapshot, nowMs: number): string[] {
    const out: string[] = []
    if (this.wasLive && !s.eventsLive) out.push('the event stream ended; following by polling')
    this.wasLive = s.eventsLive
    const emit = (key: string, text: string) => {
      if (this.printed.get(key) === text) return
      this.printed.set(key, text)
      out.push(text)
    }
    for (const id of s.deploymentIds) {
      const d = s.deployments.get(id)
      if (d && !s.outcomes.has(id)) {
        emit(`step:${id}`, `deployment ${id}: ${stepText(d)}`)
        if (d.reason) emit(`reason:${id}`, `deployment ${id} waiting on: ${d.reason}`)
        const readiness = readinessText(d)
        if (readiness) emit(`ready:${id}`, `deployment ${id}: ${readiness}`)
      }
    }
    for (const id of appIds(s)) {
      const app = s.apps.get(id)
      if (app === null) { emit(`app:${id}`, `${id}: removed`); continue }
      if (!app) continue
      emit(`app:${id}`, `${id}: ${instancesText(app)}`)
      const q = queued(s.queue, id)
      // The offer counts move all the time; a line is printed when the reasons change, not the numbers.
      if (q && worthShowing(q, nowMs)) {
        const line = `${id}: ${waitingLine(q, nowMs)}`
        const key = line.replace(/\d+/g, '#')
        if (this.printed.get(`waitkey:${id}`) !== key) { this.printed.set(`waitkey:${id}`, key); out.push(line) }
      } else {
        this.printed.delete(`waitkey:${id}`)
      }
      if (app.lastTaskFailure?.message && failedSince(app, s.startedAtMs)) emit(`failure:${id}`, `${id}: task failed: ${failureText(app)}`)
    }
    for (const id of s.deploymentIds) {
      const o = s.outcomes.get(id)
      if (o) emit(`outcome:${id}`, `deployment ${id} ${outcomeText(o)}`)
    }
    return out
  }
}

/**
 * Why deployments that did not succeed in time are stuck, from the last snapshot: each one's own reason (meso's
 * `reason`), then why its apps' instances wait (the queue's offer statistics); the step it is at when neither says.
 */
export function stuckReason(s: FollowSnapshot, nowMs: number): string | undefined {
  const parts: string[] = []
  for (const id of s.deploymentIds) {
    const reason = s.deployments.get(id)?.reason
    if (reason && !s.outcomes.has(id)) parts.push(reason)
  }
  for (const id of appIds(s)) {
    const q = queued(s.queue, id)
    if (q && q.count > 0) parts.push(`${id} ${waitingLine(q, nowMs)}`)
  }
  if (parts.length) return parts.join('; ')
  for (const id of s.deploymentIds) {
    const d = s.deployments.get(id)
    if (d && !s.outcomes.has(id)) return `${stepText(d)}${readinessText(d) ? `; ${readinessText(d)}` : ''}`
  }
  return undefined
}

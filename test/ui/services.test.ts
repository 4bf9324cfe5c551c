// The services pages' pure logic: an app's status, why-not-running bars, stuck deployments as alerts, routes with
// path ids, and which reads an event on /v2/events makes stale (fed through the SSE parser the UI reads it with).

import { expect, test } from 'bun:test'
import { SseParser } from '../../src/client/service-events.ts'
import { parseRoute, routeHash } from '../../src/ui/model/route.ts'
import { appStatus, deploymentAlerts, markStale, nothingStale, rejectBars, serviceHref, statusTone, taskHealth, WATCHED_EVENTS, type AppJson, type DeploymentJson, type QueueItemJson, type TaskJson } from '../../src/ui/model/services.ts'

const app = (over: Partial<AppJson> = {}): AppJson => ({ id: '/web', instances: 2, cpus: 0.1, mem: 32, tasksRunning: 2, tasksStaged: 0, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [], ...over })
const queued = (over: Partial<QueueItemJson> = {}): QueueItemJson => ({
  count: 1, delay: { timeLeftSeconds: 0, overdue: true }, since: '2026-12-07T00:00:00.000Z', app: { id: '/web' },
  processedOffersSummary: { processedOffersCount: 0, unusedOffersCount: 0, rejectSummaryLastOffers: [], rejectSummaryLaunchAttempt: [] }, ...over,
})

test('app status: delayed, deploying, suspended, waiting, running', () => {
  expect(appStatus(app())).toBe('running')
  expect(appStatus(app({ tasksRunning: 1 }))).toBe('waiting')
  expect(appStatus(app(), queued())).toBe('waiting')
  expect(appStatus(app({ deployments: [{ id: 'd1' }] }))).toBe('deploying')
  // A launch delay says more than the deployment that waits for it.
  expect(appStatus(app({ deployments: [{ id: 'd1' }] }), queued({ delay: { timeLeftSeconds: 12, overdue: false } }))).toBe('delayed')
  expect(appStatus(app({ instances: 0, tasksRunning: 0 }))).toBe('suspended')
  // Scaled to 0 while a task still runs: its deployment says so.
  expect(appStatus(app({ instances: 0, tasksRunning: 1, deployments: [{ id: 'd2' }] }))).toBe('deploying')
  expect(statusTone('running')).toBe('ok')
  expect(statusTone('delayed')).toBe('bad')
})

test('why-not-running bars: the funnel as declined of the last offers, most first', () => {
  // Marathon's funnel over 10 offers: 4 stopped by the constraint, the 6 left all short of cpus.
  const rows = [
    { reason: 'UnfulfilledRole', declined: 0, processed: 10 },
    { reason: 'UnfulfilledConstraint', declined: 4, processed: 10 },
    { reason: 'NoCorrespondingReservationFound', declined: 0, processed: 6 },
    { reason: 'InsufficientCpus', declined: 6, processed: 6 },
    { reason: 'InsufficientMemory', declined: 0, processed: 0 },
  ]
  expect(rejectBars(rows)).toEqual([{ reason: 'InsufficientCpus', declined: 6, of: 10 }, { reason: 'UnfulfilledConstraint', declined: 4, of: 10 }])
  expect(rejectBars([])).toEqual([])
})

test('task health from its first check result', () => {
  const t = (alive?: boolean): TaskJson => ({ id: 't', appId: '/web', host: 'h', slaveId: 'a', state: 'TASK_RUNNING', ports: [], stagedAt: '', startedAt: null, version: '', healthCheckResults: alive === undefined ? [] : [{ alive, consecutiveFailures: 0, lastFailureCause: null, lastSuccess: null, lastFailure: null }] })
  expect(taskHealth(t())).toBeUndefined()
  expect(taskHealth(t(true))).toBe('healthy')
  expect(taskHealth(t(false))).toBe('unhealthy')
})

test('stuck deployments: one alert per deployment with a reason, linking to its first app', () => {
  const d = (id: string, reason?: string): DeploymentJson => ({ id, version: 'v', affectedApps: ['/prod/web', '/prod/db'], steps: [], currentActions: [], currentStep: 1, totalSteps: 1, ...(reason ? { reason } : {}) })
  expect(deploymentAlerts([d('a'), d('b', '/prod/web: waiting for an offer')])).toEqual([
    { level: 'warning', text: 'deployment of /prod/web, /prod/db is stuck: /prod/web: waiting for an offer', link: '#/services/prod/web' },
  ])
})

test('routes: a service id is the rest of the path, each segment encoded', () => {
  expect(serviceHref('/prod/web')).toBe('#/services/prod/web')
  expect(serviceHref('/a b/c')).toBe('#/services/a%20b/c')
  expect(parseRoute('#/services')).toEqual({ page: 'services' })
  expect(parseRoute('#/services/prod/web')).toEqual({ page: 'service', id: '/prod/web' })
  expect(parseRoute(serviceHref('/a b/c'))).toEqual({ page: 'service', id: '/a b/c' })
  expect(routeHash({ page: 'service', id: '/prod/web' })).toBe('#/services/prod/web')
})

test('events: what each makes stale, read from SSE chunks split anywhere', () => {
  const events = [
    'event: event_stream_attached\ndata: {"eventType":"event_stream_attached","remoteAddress":"127.0.0.1"}\n\n',
    ':\n\n', // the master's heartbeat
    `event: status_update_event\ndata: ${JSON.stringify({ eventType: 'status_update_event', appId: '/web', taskId: 'web.1', taskStatus: 'TASK_RUNNING' })}\n\n`,
    `event: deployment_success\ndata: ${JSON.stringify({ eventType: 'deployment_success', id: 'd1', plan: { id: 'd1', steps: [{ actions: [{ action: 'StartApplication', app: '/api' }] }, { actions: [{ action: 'ScaleApplication', app: '/api' }] }] } })}\n\n`,
    `event: health_status_changed_event\ndata: ${JSON.stringify({ eventType: 'health_status_changed_event', appId: '/db', alive: false })}\n\n`,
  ].join('')
  const parser = new SseParser()
  const parsed = []
  for (let i = 0; i < events.length; i += 7) parsed.push(...parser.push(events.slice(i, i + 7)))
  expect(parsed.map(e => e.type)).toEqual(['event_stream_attached', 'status_update_event', 'deployment_success', 'health_status_changed_event'])

  const s = nothingStale()
  markStale(s, parsed[1]!.type, parsed[1]!.data)
  expect(s).toEqual({ list: false, deployments: false, queue: true, offers: false, apps: new Set(['/web']) })
  markStale(s, parsed[2]!.type, parsed[2]!.data)
  markStale(s, parsed[3]!.type, parsed[3]!.data)
  expect(s).toEqual({ list: false, deployments: true, queue: true, offers: false, apps: new Set(['/web', '/api', '/db']) })
  const fresh = nothingStale()
  markStale(fresh, parsed[0]!.type, parsed[0]!.data)
  expect(fresh).toEqual({ list: true, deployments: true, queue: true, offers: false, apps: new Set() })
  const offers = nothingStale()
  markStale(offers, 'offers_declined_event', { appId: '/web', reasons: ['InsufficientCpus'] })
  expect(offers).toEqual({ list: false, deployments: false, queue: false, offers: true, apps: new Set() })
  // Only what the UI acts on is asked for; every one of those changes something.
  for (const t of WATCHED_EVENTS) { const x = nothingStale(); markStale(x, t, { appId: '/a', plan: { steps: [] } }); expect(x.list || x.deployments || x.queue || x.offers || x.apps.size > 0).toBe(true) }
})

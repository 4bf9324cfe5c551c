// The pure parts of `meso service`: app definition files, the event-stream parser, why-not-running lines from
// Marathon's queue statistics, the deployment progress block and plain lines, tables and rollback's version choice.

import { describe, expect, test } from 'bun:test'
import { reasonDetail, unusedOfferLines, waitingLine, worthShowing } from '../../src/cli/service-offers.ts'
import { PlainProgress, progressBlock, stepText, stuckReason, type FollowSnapshot } from '../../src/cli/service-progress.ts'
import { appRow, appSummary, previousConfigVersion, taskHealth, versionRows } from '../../src/cli/service-table.ts'
import { Redrawn } from '../../src/cli/handlers/service-follow.ts'
import { SseParser } from '../../src/client/service-events.ts'
import { parseServiceSpecs, resolveAppId, ServiceFileError } from '../../src/client/service-spec-file.ts'
import { absoluteAppId, type AppInfo, type Deployment, type QueueItem } from '../../src/client/services.ts'

const NOW = Date.parse('2026-12-07T01:00:00.000Z')
const ago = (s: number) => new Date(NOW - s * 1000).toISOString()

describe('app definition files', () => {
  test('one app, ids made absolute; YAML too', () => {
    expect(parseServiceSpecs('{"id": "web", "cmd": "x"}', 'web.json')).toEqual([{ id: '/web', cmd: 'x' }])
    expect(parseServiceSpecs('id: /a/b/\ncmd: x\ninstances: 2\n', 'a.yaml')).toEqual([{ id: '/a/b', cmd: 'x', instances: 2 }])
  })

  test('a list; a group with relative ids, nested groups and dependencies resolved against the group', () => {
    expect(parseServiceSpecs('[{"id": "a", "cmd": "x"}, {"id": "/b", "cmd": "y"}]', 'f').map(a => a.id)).toEqual(['/a', '/b'])
    const group = {
      id: '/prod',
      apps: [{ id: 'db', cmd: 'd' }, { id: 'web', cmd: 'w', dependencies: ['db', '/other'] }],
      groups: [{ id: 'tools', apps: [{ id: 'cron', cmd: 'c' }, { id: '../../top', cmd: 't' }] }],
    }
    const apps = parseServiceSpecs(JSON.stringify(group), 'g.json')
    expect(apps.map(a => a.id)).toEqual(['/prod/db', '/prod/web', '/prod/tools/cron', '/top'])
    expect(apps[1]!.dependencies).toEqual(['/prod/db', '/other'])
    expect(resolveAppId('./x', '/g')).toBe('/g/x')
    expect(absoluteAppId(' web/ ')).toBe('/web')
  })

  test('refused: empty, not JSON, no id, twice the same id, group fields that cannot be deployed app by app', () => {
    const err = (text: string) => { try { parseServiceSpecs(text, 'f'); return '' } catch (e) { expect(e).toBeInstanceOf(ServiceFileError); return (e as Error).message } }
    expect(err('  ')).toBe('f is empty; expected a Marathon app definition in JSON or YAML')
    expect(err('{"id": ')).toStartWith('f is not valid JSON: ')
    expect(err('[]')).toBe('f holds no app definition')
    expect(err('{"cmd": "x"}')).toBe('f has no "id"')
    expect(err('[{"id": "a", "cmd": "x"}, {"id": "/a", "cmd": "y"}]')).toBe("f defines app '/a' twice")
    expect(err('{"id": "/g", "apps": [{"id": "a", "cmd": "x"}], "dependencies": ["/h"]}')).toBe(`group '/g' in f: "dependencies" cannot be deployed app by app; move it into the apps`)
    expect(err('{"id": "a", "cmd": "x", "dependencies": "b"}')).toBe(`app '/a' in f: "dependencies" must be a list of app ids`)
    expect(err('[1]')).toBe('app #1 of f is not an app definition (an object with "id")')
  })
})

describe('the event stream parser', () => {
  test('events split across chunks, CRLF, comments, the name from eventType when no event: line', () => {
    const p = new SseParser()
    expect(p.push(': keep-alive\n\nevent: deployment_success\r\ndata: {"id": "d1",')).toEqual([])
    expect(p.push(' "eventType": "deployment_success"}\r')).toEqual([])
    expect(p.push('\n\r\n')).toEqual([{ type: 'deployment_success', data: { id: 'd1', eventType: 'deployment_success' } }])
    expect(p.push('data: {"eventType": "status_update_event", "appId": "/web"}\n\n')).toEqual([{ type: 'status_update_event', data: { eventType: 'status_update_event', appId: '/web' } }])
  })

  test('data over several lines is joined; unparseable or nameless events are dropped', () => {
    const p = new SseParser()
    expect(p.push('event: x\ndata: {"a":\ndata: 1}\n\n')).toEqual([{ type: 'x', data: { a: 1 } }])
    expect(p.push('event: x\ndata: not json\n\ndata: {"a": 1}\n\n')).toEqual([])
  })
})

const stuckItem: QueueItem = {
  app: { id: '/web', cpus: 2, mem: 64, constraints: [['hostname', 'UNIQUE']] },
  count: 2, role: '*', delay: { timeLeftSeconds: 0, overdue: true }, since: ago(30),
  processedOffersSummary: {
    processedOffersCount: 40, unusedOffersCount: 40,
    rejectSummaryLastOffers: [
      { reason: 'UnfulfilledRole', declined: 0, processed: 10 },
      { reason: 'InsufficientCpus', declined: 6, processed: 10 },
      { reason: 'UnfulfilledConstraint', declined: 4, processed: 4 },
    ],
  },
  lastUnusedOffers: [
    { offer: { id: 'o1', hostname: 'n1', agentId: 'a1' }, reason: ['InsufficientCpus'], timestamp: ago(20) },
    { offer: { id: 'o2', hostname: 'n1', agentId: 'a1' }, reason: ['InsufficientCpus', 'InsufficientMemory'], timestamp: ago(3) },
    { offer: { id: 'o3', hostname: 'n2', agentId: 'a2' }, reason: ['UnfulfilledConstraint'], timestamp: ago(5) },
  ],
}

describe('why not running', () => {
  test("the last offers' funnel: each reason that declined some, with what the app asks", () => {
    expect(waitingLine(stuckItem, NOW)).toBe('waiting: 2 instances; last 10 offers: 6 declined InsufficientCpus (needs cpus 2), 4 UnfulfilledConstraint (hostname:UNIQUE)')
  })

  test('no offers yet; backing off after failures; only the launch attempt summary', () => {
    expect(waitingLine({ app: { id: '/a' }, count: 1, since: ago(42), processedOffersSummary: { processedOffersCount: 0, unusedOffersCount: 0 } }, NOW))
      .toBe('waiting: 1 instance; no offer yet in 42s (is an agent with free resources registered?)')
    expect(waitingLine({ ...stuckItem, delay: { timeLeftSeconds: 30, overdue: false } }, NOW)).toContain('waiting: 2 instances; backing off after failed launches: next try in 30s; last 10 offers')
    expect(waitingLine({ app: { id: '/a', role: 'web' }, count: 1, processedOffersSummary: { processedOffersCount: 5, unusedOffersCount: 5, rejectSummaryLaunchAttempt: [{ reason: 'UnfulfilledRole', declined: 5, processed: 5 }] } }, NOW))
      .toBe('waiting: 1 instance; 5 offers of 5 unused: 5 declined UnfulfilledRole (role web)')
  })

  test('offers used and none since', () => {
    expect(waitingLine({ app: { id: '/a' }, count: 2, processedOffersSummary: { processedOffersCount: 1, unusedOffersCount: 0, lastUsedOfferAt: ago(7), rejectSummaryLastOffers: [{ reason: 'UnfulfilledRole', declined: 0, processed: 0 }] } }, NOW))
      .toBe('waiting: 2 instances; no offer declined; 1 offer used, the last 7s ago, none since')
  })

  test('worth a line while following: declined offers, a backoff, or a wait of 5s for the first offer', () => {
    const fresh: QueueItem = { app: { id: '/a' }, count: 1, since: ago(1), delay: { timeLeftSeconds: 0, overdue: true }, processedOffersSummary: { processedOffersCount: 0, unusedOffersCount: 0 } }
    expect(worthShowing(fresh, NOW)).toBe(false)
    expect(worthShowing({ ...fresh, since: ago(6) }, NOW)).toBe(true)
    expect(worthShowing({ ...fresh, delay: { timeLeftSeconds: 3, overdue: false } }, NOW)).toBe(true)
    expect(worthShowing({ ...fresh, processedOffersSummary: { processedOffersCount: 1, unusedOffersCount: 1 } }, NOW)).toBe(true)
    expect(worthShowing({ ...stuckItem, count: 0 }, NOW)).toBe(false)
  })

  test('reason details', () => {
    expect(reasonDetail('InsufficientMemory', { id: '/a', mem: 512 })).toBe('needs mem 512 MB')
    expect(reasonDetail('InsufficientPorts', { id: '/a' })).toBeUndefined()
    expect(reasonDetail('UnfulfilledRole', { id: '/a' }, 'prod')).toBe('role prod')
  })

  test('the last unused offers: the newest per agent, newest first', () => {
    expect(unusedOfferLines(stuckItem.lastUnusedOffers!, NOW)).toEqual([
      'agent n1 (a1): InsufficientCpus, InsufficientMemory, 3s ago',
      'agent n2 (a2): UnfulfilledConstraint, 5s ago',
    ])
  })
})

const deployment: Deployment = {
  id: 'd-1', version: ago(12), affectedApps: ['/web'],
  steps: [{ actions: [{ action: 'StartApplication', app: '/web' }] }, { actions: [{ action: 'ScaleApplication', app: '/web' }] }],
  currentActions: [{ action: 'ScaleApplication', app: '/web', readinessCheckResults: [{ taskId: 't1', name: 'ready', ready: false }, { taskId: 't2', name: 'ready', ready: true }] }],
  currentStep: 2, totalSteps: 2,
}
const web: AppInfo = { id: '/web', instances: 3, tasksRunning: 1, tasksHealthy: 1, tasksStaged: 1, healthChecks: [{ protocol: 'HTTP', path: '/health' }] }
const snap = (over: Partial<FollowSnapshot> = {}): FollowSnapshot => ({
  deploymentIds: ['d-1'], deployments: new Map([['d-1', deployment]]), apps: new Map([['/web', web]]), queue: [{ ...stuckItem, count: 1 }],
  outcomes: new Map(), startedAtMs: NOW - 12_000, eventsLive: true, ...over,
})

describe('deployment progress', () => {
  test('the block: step, readiness, instances, why not running', () => {
    expect(progressBlock(snap(), NOW)).toEqual([
      'deployment d-1  step 2/2: ScaleApplication /web',
      '  readiness: 1 of 2 tasks not ready (ready)',
      '/web  1/3 running, 1 healthy, 1 staged',
      '  waiting: 1 instance; last 10 offers: 6 declined InsufficientCpus (needs cpus 2), 4 UnfulfilledConstraint (hostname:UNIQUE)',
      '    agent n1 (a1): InsufficientCpus, InsufficientMemory, 3s ago',
      '    agent n2 (a2): UnfulfilledConstraint, 5s ago',
      '12s  Ctrl-C stops following; the deployment goes on',
    ])
    expect(stepText({ ...deployment, currentActions: [] })).toBe('step 2/2: ScaleApplication /web')
  })

  test('the block when done, when the stream is not there, with a stuck reason', () => {
    const done = progressBlock(snap({ outcomes: new Map([['d-1', { ok: false, reason: 'cancelled' }]]), queue: [], eventsLive: false }), NOW)
    expect(done[0]).toBe('deployment d-1  failed: cancelled')
    expect(done.at(-1)).toBe('12s')
    expect(progressBlock(snap({ eventsLive: false }), NOW).at(-1)).toBe('12s (polling: the event stream is not available)  Ctrl-C stops following; the deployment goes on')
    const stuck = progressBlock(snap({ deployments: new Map([['d-1', { ...deployment, currentActions: [], reason: 'no agent has 2 cpus' }]]) }), NOW)
    expect(stuck[1]).toBe('  waiting on: no agent has 2 cpus')
  })

  test('plain lines: each change once; the waiting line again only when its reasons change', () => {
    const p = new PlainProgress()
    expect(p.changes(snap(), NOW)).toEqual([
      'deployment d-1: step 2/2: ScaleApplication /web',
      'deployment d-1: readiness: 1 of 2 tasks not ready (ready)',
      '/web: 1/3 running, 1 healthy, 1 staged',
      '/web: waiting: 1 instance; last 10 offers: 6 declined InsufficientCpus (needs cpus 2), 4 UnfulfilledConstraint (hostname:UNIQUE)',
    ])
    const moreOffers = { ...stuckItem, count: 1, processedOffersSummary: { ...stuckItem.processedOffersSummary!, rejectSummaryLastOffers: [{ reason: 'InsufficientCpus', declined: 12, processed: 12 }] } }
    expect(p.changes(snap({ queue: [{ ...stuckItem, count: 1, since: ago(99) }] }), NOW)).toEqual([])
    expect(p.changes(snap({ queue: [moreOffers] }), NOW)).toEqual(['/web: waiting: 1 instance; last 12 offers: 12 declined InsufficientCpus (needs cpus 2)'])
    const after = snap({ apps: new Map([['/web', { ...web, tasksRunning: 3, tasksHealthy: 3, tasksStaged: 0 }]]), queue: [], outcomes: new Map([['d-1', { ok: true }]]) })
    expect(p.changes(after, NOW)).toEqual(['/web: 3/3 running, 3 healthy', 'deployment d-1 succeeded'])
    expect(p.changes(after, NOW)).toEqual([])
  })

  test('the reason a timed-out follow gives', () => {
    expect(stuckReason(snap({ deployments: new Map([['d-1', { ...deployment, reason: 'no agent has 2 cpus' }]]) }), NOW))
      .toBe('no agent has 2 cpus; /web waiting: 1 instance; last 10 offers: 6 declined InsufficientCpus (needs cpus 2), 4 UnfulfilledConstraint (hostname:UNIQUE)')
    expect(stuckReason(snap({ queue: [] }), NOW)).toBe('step 2/2: ScaleApplication /web; readiness: 1 of 2 tasks not ready (ready)')
  })
})

describe('tables', () => {
  test('app rows; task health; the summary', () => {
    expect(appRow({ ...web, version: 'v2', cpus: 0.5, mem: 64, deployments: [{ id: '97c136bf-5a28' }] })).toEqual(['/web', '1/3', '1/3', '97c136bf', '0.5', '64', 'v2'])
    expect(appRow({ id: '/x' })).toEqual(['/x', '0/0', '-', '-', '1', '128', '-'])
    expect(taskHealth({ id: 't', appId: '/web', healthCheckResults: [{ alive: false, consecutiveFailures: 3, lastFailureCause: 'connection refused' }] })).toBe('unhealthy (3 failures: connection refused)')
    expect(taskHealth({ id: 't', appId: '/web', healthCheckResults: [{ alive: true }] })).toBe('healthy')
    expect(taskHealth({ id: 't', appId: '/web' })).toBe('-')
    expect(appSummary({ id: '/web', args: ['python3', '-m', 'http.server'], container: { docker: { image: 'python:3' } }, constraints: [['hostname', 'UNIQUE']], healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0 }] })).toEqual([
      ['service', '/web'], ['command', 'python3 -m http.server'], ['image', 'python:3'], ['resources', 'cpus 1, mem 128 MB, disk 0 MB'],
      ['constraints', 'hostname:UNIQUE'], ['health checks', 'MESOS_HTTP / on port index 0'],
    ])
  })

  test('versions newest first; rollback goes to the newest version older than the current configuration', () => {
    const app: AppInfo = { id: '/web', version: '2026-12-07T00:00:04.000Z', versionInfo: { lastConfigChangeAt: '2026-12-07T00:00:03.000Z' } }
    const versions = ['2026-12-07T00:00:01.000Z', '2026-12-07T00:00:04.000Z', '2026-12-07T00:00:02.000Z', '2026-12-07T00:00:03.000Z']
    expect(versionRows(versions, app)).toEqual([
      ['2026-12-07T00:00:04.000Z', 'current'], ['2026-12-07T00:00:03.000Z', 'current config'],
      ['2026-12-07T00:00:02.000Z', '-'], ['2026-12-07T00:00:01.000Z', '-'],
    ])
    expect(previousConfigVersion(versions, app)).toBe('2026-12-07T00:00:02.000Z')
    expect(previousConfigVersion(['2026-12-07T00:00:03.000Z'], app)).toBeUndefined()
  })
})

describe('the block on a terminal', () => {
  test('each frame erases the previous one; lines are cut to the width', () => {
    const written: string[] = []
    const r = new Redrawn({ columns: 30, write: (chunk: string | Uint8Array) => { written.push(String(chunk)); return true } } as never)
    r.draw(['deployment d-1  step 1/2: StartApplication /web', '/web  0/3 running'])
    r.draw(['deployment d-1  succeeded'])
    expect(written).toEqual([
      'deployment d-1  step 1/2: St…\n/web  0/3 running\n',
      '\x1b[2A\r\x1b[Jdeployment d-1  succeeded\n',
    ])
  })
})

// The rollout decision: scaling, the rolling restart under upgradeStrategy with health gating, killSelection,
// unreachable tasks; the deployment plans; the launch backoff.

import { describe, expect, test } from 'bun:test'
import { parseApp, type AppDefinition } from '../../../src/master/services/app-definition.ts'
import { afterFailure, delayMs, NO_BACKOFF } from '../../../src/master/services/backoff.ts'
import { currentStepIndex, planDeployment, rollbackOf } from '../../../src/master/services/deployment.ts'
import type { Instance } from '../../../src/master/services/instance.ts'
import { decideRollout, pickToKill } from '../../../src/master/services/rollout.ts'

const V1 = '2026-01-01T00:00:00.000Z'
const V2 = '2026-01-02T00:00:00.000Z'
const app = (extra: Record<string, unknown> = {}, version = V1): AppDefinition => parseApp({ id: 'web', cmd: 'x', healthChecks: [{ protocol: 'MESOS_TCP' }], ...extra }, { now: version })
let seq = 0
const task = (cfg: string, state = 'TASK_RUNNING', healthy: boolean | null = true, extra: Partial<Instance> = {}): Instance => ({
  taskId: `web.${++seq}`, appId: '/web', version: cfg, configVersion: cfg, agentId: 'a', host: 'h', placement: { hostname: 'h', attributes: {} },
  hostPorts: [], servicePorts: [], state, stagedAt: `2026-01-01T00:00:${String(seq % 60).padStart(2, '0')}.000Z`, healthConsecutiveFailures: 0, ipAddresses: [],
  ...(healthy !== null ? { healthy } : {}), ...extra,
})

describe('scaling', () => {
  test('launches the missing tasks and is done once all are healthy', () => {
    const a = app({ instances: 3 })
    expect(decideRollout(a, [task(V1)], 0)).toMatchObject({ launch: 2, kill: [], done: false })
    expect(decideRollout(a, [task(V1), task(V1), task(V1, 'TASK_RUNNING', null)], 0)).toMatchObject({ launch: 0, done: false, waiting: expect.stringContaining('to become healthy') })
    expect(decideRollout(a, [task(V1), task(V1), task(V1)], 0)).toMatchObject({ launch: 0, kill: [], done: true })
  })
  test('scaling down kills tasks not yet running first, then by killSelection', () => {
    const old = task(V1)
    const young = task(V1)
    const staging = task(V1, 'TASK_STAGING', null)
    expect(decideRollout(app({ instances: 2 }), [old, young, staging], 0).kill).toEqual([staging])
    expect(pickToKill([old, young], 1, 'YOUNGEST_FIRST')).toEqual([young])
    expect(pickToKill([old, young], 1, 'OLDEST_FIRST')).toEqual([old])
  })
  test('tasks being killed and ended tasks do not count', () => {
    expect(decideRollout(app({ instances: 2 }), [task(V1, 'TASK_RUNNING', true, { killRequested: true }), task(V1, 'TASK_FAILED')], 0).launch).toBe(2)
  })
})

describe('rolling restart', () => {
  const v2 = (extra: Record<string, unknown> = {}) => ({ ...app({ instances: 3, cmd: 'y', ...extra }, V2) })
  test('default strategy (1, 1): start all new ones, kill no old one until new ones are healthy', () => {
    const olds = [task(V1), task(V1), task(V1)]
    expect(decideRollout(v2(), olds, 0)).toMatchObject({ launch: 3, kill: [] })
    const news = [task(V2, 'TASK_RUNNING', false), task(V2, 'TASK_RUNNING', false), task(V2, 'TASK_RUNNING', null)]
    const stuck = decideRollout(v2(), [...olds, ...news], 0)
    expect(stuck).toMatchObject({ launch: 0, kill: [], done: false })
    expect(stuck.waiting).toContain('before killing 3 old task(s)')
    // One new task healthy: one old one may go.
    news[0]!.healthy = true
    expect(decideRollout(v2(), [...olds, ...news], 0).kill).toHaveLength(1)
    for (const n of news) n.healthy = true
    expect(decideRollout(v2(), [...olds, ...news], 0).kill).toEqual(olds)
  })
  test('minimumHealthCapacity 0.5, maximumOverCapacity 0: kill first, then replace', () => {
    const olds = [task(V1), task(V1), task(V1), task(V1)]
    const d = decideRollout(v2({ instances: 4, upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } }), olds, 0)
    expect(d.kill).toHaveLength(2)
    expect(d.launch).toBe(2)
  })
  test('minimumHealthCapacity 1, maximumOverCapacity 0: one extra task at a time', () => {
    const olds = [task(V1), task(V1), task(V1)]
    const d = decideRollout(v2({ upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0 } }), olds, 0)
    expect(d).toMatchObject({ launch: 1, kill: [] })
  })
  test('old tasks that are not healthy hold no capacity', () => {
    const olds = [task(V1), task(V1), task(V1, 'TASK_RUNNING', false)]
    expect(decideRollout(v2(), olds, 0).kill).toEqual([olds[2]!])
  })
})

describe('unreachable tasks', () => {
  test('replaced after inactiveAfterSeconds, expunged after expungeAfterSeconds, waited for when disabled', () => {
    const u = task(V1, 'TASK_UNREACHABLE', true, { unreachableSince: 0 })
    const a = app({ instances: 1, unreachableStrategy: { inactiveAfterSeconds: 10, expungeAfterSeconds: 60 } })
    expect(decideRollout(a, [u], 5_000)).toMatchObject({ launch: 0, expunge: [] })
    expect(decideRollout(a, [u], 10_000)).toMatchObject({ launch: 1, expunge: [] })
    expect(decideRollout(a, [u], 60_000)).toMatchObject({ launch: 1, expunge: [u] })
    expect(decideRollout(app({ instances: 1, unreachableStrategy: 'disabled' }), [u], 1e9)).toMatchObject({ launch: 0, expunge: [] })
  })
})

describe('deployment plans', () => {
  test('a new app, a scaling, a restart, a removal', () => {
    const a = app({ instances: 2 })
    expect(planDeployment('d', V1, { '/web': null }, { '/web': a })!.steps).toEqual([{ actions: [{ action: 'StartApplication', app: '/web' }] }, { actions: [{ action: 'ScaleApplication', app: '/web' }] }])
    const scaled = parseApp({ ...a, instances: 5 }, { now: V2, previous: a })
    expect(planDeployment('d', V2, { '/web': a }, { '/web': scaled })!.steps).toEqual([{ actions: [{ action: 'ScaleApplication', app: '/web' }] }])
    const changed = parseApp({ ...a, cmd: 'z' }, { now: V2, previous: a })
    expect(planDeployment('d', V2, { '/web': a }, { '/web': changed })!.steps).toEqual([{ actions: [{ action: 'RestartApplication', app: '/web' }] }])
    expect(planDeployment('d', V2, { '/web': a }, { '/web': null })!.steps).toEqual([{ actions: [{ action: 'StopApplication', app: '/web' }] }])
    expect(planDeployment('d', V2, { '/web': a }, { '/web': a })).toBeUndefined()
  })
  test('the current step and a rollback to the original definitions', () => {
    const a = app({ instances: 2 })
    const changed = parseApp({ ...a, cmd: 'z' }, { now: V2, previous: a })
    const d = planDeployment('d', V2, { '/web': a, '/new': null }, { '/web': changed, '/new': app({ id: 'new' }) })!
    expect(currentStepIndex(d, x => x.action === 'StartApplication')).toBe(2)
    const back = rollbackOf(d, { '/web': changed, '/new': app({ id: 'new' }) }, 'r', '2026-01-03T00:00:00.000Z')!
    expect(back.target['/new']).toBeNull()
    expect(back.target['/web']!.cmd).toBe('x')
    // The original config version comes back, so the old tasks count as current again.
    expect(back.target['/web']!.versionInfo.lastConfigChangeAt).toBe(V1)
  })
})

describe('backoff', () => {
  test('backoffSeconds × backoffFactor^(n-1), capped', () => {
    const a = { backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 5 }
    expect([1, 2, 3, 4, 5].map(n => delayMs(n, a))).toEqual([1000, 2000, 4000, 5000, 5000])
    expect(afterFailure(afterFailure(NO_BACKOFF, 0, a), 100, a)).toEqual({ failures: 2, until: 2100 })
  })
})

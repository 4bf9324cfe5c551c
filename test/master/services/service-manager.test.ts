// The service manager with fake offers and status updates: launches from offers with Marathon's task environment
// and Mesos health checks, why offers are declined (offer statistics per reason), UNIQUE leaving the surplus
// waiting, failures with backoff, deployments finishing, rollback, kills, and recovery from the store after a
// failover (no duplicate tasks).

import { describe, expect, test } from 'bun:test'
import type { Offer, TaskInfo, TaskStatus } from '../../../src/core/v1/messages.ts'
import { KvArea } from '../../../src/master/builtin-frameworks/store.ts'
import { ServiceEvents } from '../../../src/master/services/event-stream.ts'
import { ServiceError, ServiceManager } from '../../../src/master/services/service-manager.ts'
import { processedOffersSummary } from '../../../src/master/services/offer-stats.ts'
import { deploymentJson, queueItemJson } from '../../../src/master/services/services-views.ts'

let clock = Date.parse('2026-01-01T00:00:00Z')
let n = 0
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`

function setup(kv = new KvArea([], () => {})) {
  const events = new ServiceEvents()
  const m = new ServiceManager(kv.namespace('services'), events, { now: () => clock, uuid })
  const killed: string[] = []
  m.killer = { kill: t => { killed.push(t) } }
  return { m, kv, killed, events }
}

const offer = (host: string, cpus = 4, mem = 1024, extra: Partial<Offer> = {}): Offer => ({
  id: { value: `o-${host}-${++n}` }, framework_id: { value: 'f' }, agent_id: { value: `agent-${host}` }, hostname: host,
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: cpus } }, { name: 'mem', type: 'SCALAR', scalar: { value: mem } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31009 }] } },
  ],
  ...extra,
})

const status = (t: TaskInfo | string, state: string, extra: Partial<TaskStatus> = {}): TaskStatus =>
  ({ task_id: { value: typeof t === 'string' ? t : t.task_id.value }, state, agent_id: { value: 'x' }, ...extra } as TaskStatus)

const env = (t: TaskInfo) => Object.fromEntries(((t.command as any).environment.variables as any[]).map(v => [v.name, v.value]))

describe('launching', () => {
  test("tasks from offers, with Marathon's environment and the health check on the task's port", () => {
    const { m } = setup()
    m.createApp({ id: '/team/web', cmd: 'serve $PORT0', instances: 2, cpus: 1, mem: 64, healthChecks: [{ protocol: 'MESOS_HTTP', path: '/h' }] }, false)
    const tasks = m.matchOffer(offer('a'))
    expect(tasks).toHaveLength(2)
    const t = tasks[0]!
    expect(t.task_id.value).toMatch(/^team_web\.[0-9a-f-]{36}$/)
    expect(env(t)).toMatchObject({ MARATHON_APP_ID: '/team/web', PORT0: '31000', PORT: '31000', PORTS: '31000', PORT_10000: '31000', HOST: 'a' })
    expect(t.health_check).toMatchObject({ type: 'HTTP', http: { port: 31000, path: '/h', scheme: 'http' }, consecutive_failures: 3, grace_period_seconds: 300 })
    expect(env(tasks[1]!).PORT0).toBe('31001')
    expect(t.resources).toContainEqual({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] } })
    expect(m.matchOffer(offer('b'))).toEqual([])
  })

  test('why offers are declined, counted as Marathon funnels them', () => {
    const { m } = setup()
    m.createApp({ id: '/big', cmd: 'x', cpus: 8, mem: 64, constraints: [['hostname', 'LIKE', 'gpu-.*']] }, false)
    m.matchOffer(offer('a'))
    m.matchOffer(offer('gpu-1', 2))
    m.matchOffer(offer('gpu-2', 4, 16))
    const s = processedOffersSummary(m.offerStats('/big')!)
    expect(s.processedOffersCount).toBe(3)
    expect(s.unusedOffersCount).toBe(3)
    const row = (r: string) => s.rejectSummaryLastOffers.find(x => x.reason === r)
    expect(row('UnfulfilledRole')).toEqual({ reason: 'UnfulfilledRole', declined: 0, processed: 3 })
    expect(row('UnfulfilledConstraint')).toEqual({ reason: 'UnfulfilledConstraint', declined: 1, processed: 3 })
    expect(row('InsufficientCpus')).toEqual({ reason: 'InsufficientCpus', declined: 2, processed: 2 })
    expect(row('InsufficientMemory')).toEqual({ reason: 'InsufficientMemory', declined: 0, processed: 0 })
    const q = queueItemJson(m.getApp('/big'), 1, m, true, clock)
    expect(q.lastUnusedOffers!.map(o => o.reason)).toEqual([['UnfulfilledConstraint', 'InsufficientCpus'], ['InsufficientCpus'], ['InsufficientCpus', 'InsufficientMemory']])
    expect(q.lastUnusedOffers![0]!.offer).toMatchObject({ hostname: 'a', agentId: 'agent-a', resources: expect.arrayContaining([{ name: 'cpus', scalar: 4, role: '*' }]) })
  })

  test('UNIQUE hostname with more instances than agents leaves the surplus waiting', () => {
    const { m } = setup()
    m.createApp({ id: '/u', cmd: 'x', instances: 3, cpus: 0.1, mem: 16, constraints: [['hostname', 'UNIQUE']] }, false)
    expect(m.matchOffer(offer('a'))).toHaveLength(1)
    expect(m.matchOffer(offer('b'))).toHaveLength(1)
    expect(m.matchOffer(offer('a'))).toHaveLength(0)
    expect(m.decide(m.getApp('/u')).launch).toBe(1)
    expect(m.offerStats('/u')!.last.at(-1)!.reason).toEqual(['UnfulfilledConstraint'])
  })

  test('roles: an app with a role takes unreserved and its reserved resources, not another role’s', () => {
    const { m } = setup()
    m.createApp({ id: '/r', cmd: 'x', cpus: 1, mem: 16, role: 'web', acceptedResourceRoles: ['web'], portDefinitions: [] }, false)
    const reserved = offer('a', 0, 0, { allocation_info: { role: 'web' } })
    reserved.resources!.push({ name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, reservations: [{ type: 'STATIC', role: 'web' }] } as any, { name: 'mem', type: 'SCALAR', scalar: { value: 64 }, reservations: [{ type: 'STATIC', role: 'web' }] } as any)
    expect(m.matchOffer(offer('b', 4, 1024, { allocation_info: { role: 'other' } }))).toHaveLength(0)
    expect(m.matchOffer(offer('c', 4, 1024, { allocation_info: { role: 'web' } }))).toHaveLength(0)
    // Another role's offer, and unreserved resources the app does not accept: nothing of a role it may use.
    expect(m.offerStats('/r')!.last.map(o => o.reason[0])).toEqual(['UnfulfilledRole', 'UnfulfilledRole'])
    expect(m.matchOffer(reserved)).toHaveLength(1)
  })
})

describe('task lifecycle', () => {
  test('a failed task is replaced after its backoff; the deployment finishes once all are running', () => {
    const { m } = setup()
    const { deployment } = m.createApp({ id: '/w', cmd: 'x', instances: 1, cpus: 0.1, mem: 16, backoffSeconds: 10 }, false)
    const [t] = m.matchOffer(offer('a'))
    m.taskStatus(status(t!, 'TASK_RUNNING'))
    m.tick()
    expect(m.deployments.has(deployment.deploymentId)).toBe(false)
    m.taskStatus(status(t!, 'TASK_FAILED', { message: 'exit 1' }))
    expect(m.lastTaskFailure('/w')).toMatchObject({ state: 'TASK_FAILED', message: 'exit 1', taskId: t!.task_id.value })
    expect(m.matchOffer(offer('a'))).toHaveLength(0)
    clock += 10_000
    expect(m.matchOffer(offer('a'))).toHaveLength(1)
  })

  test('a stuck rolling upgrade keeps the healthy old tasks; a rollback restores the old version', () => {
    const { m, killed } = setup()
    m.createApp({ id: '/s', cmd: 'v1', instances: 2, cpus: 0.1, mem: 16, healthChecks: [{ protocol: 'MESOS_TCP' }] }, false)
    const olds = m.matchOffer(offer('a'))
    for (const t of olds) m.taskStatus(status(t, 'TASK_RUNNING', { healthy: true }))
    m.tick()
    expect(m.deployments.size).toBe(0)
    clock += 1000
    const upgrade = m.putApp('/s', { cmd: 'v2' }, { force: false, partial: true }).deployment
    const news = m.matchOffer(offer('b'))
    expect(news).toHaveLength(2)
    for (const t of news) m.taskStatus(status(t, 'TASK_RUNNING', { healthy: false }))
    m.tick()
    expect(killed).toEqual([])
    const d = deploymentJson(m.deployments.get(upgrade.deploymentId)!, m, true)
    expect(d).toMatchObject({ currentStep: 1, totalSteps: 1, currentActions: [{ action: 'RestartApplication', app: '/s', readinessCheckResults: [] }] })
    expect(d.reason).toContain('waiting for new tasks to become healthy before killing 2 old task(s)')
    expect(() => m.putApp('/s', { instances: 3 }, { force: false, partial: true })).toThrow(ServiceError)
    clock += 1000
    m.deleteDeployment(upgrade.deploymentId, false)
    expect(m.getApp('/s').cmd).toBe('v1')
    expect(killed.sort()).toEqual(news.map(t => t.task_id.value).sort())
    for (const t of news) m.taskStatus(status(t, 'TASK_KILLED'))
    m.tick()
    expect(m.deployments.size).toBe(0)
    expect(m.instancesOf('/s').map(i => i.taskId).sort()).toEqual(olds.map(t => t.task_id.value).sort())
  })

  test('killing tasks with scale shrinks the app; a removed app’s tasks are killed', () => {
    const { m, killed } = setup()
    m.createApp({ id: '/k', cmd: 'x', instances: 3, cpus: 0.1, mem: 16 }, false)
    const tasks = m.matchOffer(offer('a'))
    for (const t of tasks) m.taskStatus(status(t, 'TASK_RUNNING'))
    m.tick()
    m.killTasks([tasks[0]!.task_id.value], { scale: true, force: false })
    expect(m.getApp('/k').instances).toBe(2)
    expect(killed).toEqual([tasks[0]!.task_id.value])
    m.taskStatus(status(tasks[0]!, 'TASK_KILLED'))
    expect(m.decide(m.getApp('/k')).launch).toBe(0)
    m.deleteApp('/k', false)
    expect(killed.length).toBe(3)
  })

  test('a kill stays in flight until its terminal update (the framework sends it again meanwhile)', () => {
    const { m, killed } = setup()
    m.createApp({ id: '/r', cmd: 'x', instances: 1, cpus: 0.1, mem: 16 }, false)
    const [t] = m.matchOffer(offer('a'))
    m.taskStatus(status(t!, 'TASK_RUNNING'))
    m.tick() // the deployment that started the app ends
    m.killTasks([t!.task_id.value], { scale: true, force: false })
    expect(killed).toEqual([t!.task_id.value])
    clock += 10_000
    m.tick()
    expect(m.tasksBeingKilled().map(i => i.taskId)).toEqual([t!.task_id.value])
    m.taskStatus(status(t!, 'TASK_KILLED'))
    expect(m.tasksBeingKilled()).toEqual([])
  })

  test('after a failover the state comes back from the store: same tasks, no duplicate launch', () => {
    const records: { namespace: string; key: string; value: string }[] = []
    const write = (ops: any[]) => { for (const op of ops) { const i = records.findIndex(r => r.namespace === op.namespace && r.key === op.key); if (i >= 0) records.splice(i, 1); if (op.op === 'putKv') records.push({ namespace: op.namespace, key: op.key, value: op.value }) } }
    const first = setup(new KvArea([], write))
    first.m.createApp({ id: '/f', cmd: 'x', instances: 2, cpus: 0.1, mem: 16 }, false)
    const tasks = first.m.matchOffer(offer('a'))
    first.m.taskStatus(status(tasks[0]!, 'TASK_RUNNING'))
    const second = setup(new KvArea(records, write))
    expect(second.m.instancesOf('/f').map(i => i.taskId).sort()).toEqual(tasks.map(t => t.task_id.value).sort())
    expect(second.m.deployments.size).toBe(1)
    expect(second.m.matchOffer(offer('b'))).toHaveLength(0)
    // An unknown task of ours reported by reconciliation is killed.
    second.m.taskStatus(status('f.00000000-0000-4000-8000-999999999999', 'TASK_RUNNING'))
    expect(second.killed).toEqual(['f.00000000-0000-4000-8000-999999999999'])
  })
})

// Operator API v1 (master and agent), the operator event stream, and the v0 endpoints existing tools scrape.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { message } from '../../src/core/proto/index.ts'
import { decodeMessage, encodeMessage } from '../../src/core/proto/binary.ts'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

let master: Daemon
let agent: Daemon
let sched: RawScheduler
let agentId = ''

const op = async (body: unknown, url = master.url) => {
  const r = await fetch(`${url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) })
  return { status: r.status, body: r.status === 200 && r.headers.get('content-type') === 'application/json' ? await r.json() as any : await r.text() }
}
const get = async (path: string, base = master.url) => (await fetch(`${base}${path}`)).json() as Promise<any>

beforeAll(async () => {
  const dir = tempDir()
  master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms', '--cluster=unit'])
  agent = await startAgent(master.url, `${dir}/agent`, ['--resources=cpus:2;mem:1024;ports:[31000-31009]', '--attributes=rack:r1;cores:8'])
  sched = new RawScheduler(master.url)
  await sched.subscribe(frameworkInfo('observer', { roles: ['dev'] }))
  const offers = await sched.next(e => e.type === 'OFFERS')
  const o = offers.offers.offers[0]
  agentId = o.agent_id.value
  await sched.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    { ...commandTask('web', agentId, 'echo started; sleep 60'), resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }] },
  ] } }] } })
  await sched.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
  // A polite framework: it has what it needs, so it stops taking offers and returns the one it holds.
  await sched.call('SUPPRESS')
  for (const e of sched.events.filter(e => e.type === 'OFFERS').slice(1)) {
    await sched.call('DECLINE', { decline: { offer_ids: e.offers.offers.map((x: any) => x.id) } })
  }
})
afterAll(async () => {
  await sched?.call('TEARDOWN').catch(() => {})
  sched?.close()
  await agent?.kill()
  await master?.kill()
})

describe('master operator API', () => {
  test('GET_HEALTH / GET_VERSION / GET_FLAGS / GET_MASTER', async () => {
    expect((await op({ type: 'GET_HEALTH' })).body).toEqual({ type: 'GET_HEALTH', get_health: { healthy: true } })
    expect((await op({ type: 'GET_VERSION' })).body.get_version.version_info.version).toMatch(/^1\.\d+\.\d+$/)
    const flags = (await op({ type: 'GET_FLAGS' })).body.get_flags.flags
    expect(flags).toContainEqual({ name: 'allocation_interval', value: '100ms' })
    expect(flags).toContainEqual({ name: 'agent_ping_timeout', value: '15secs' })
    const m = (await op({ type: 'GET_MASTER' })).body.get_master
    expect(m.master_info.pid).toMatch(/^master@127\.0\.0\.1:\d+$/)
    expect(m.start_time).toBeGreaterThan(1e9)
  })
  test('GET_STATE has tasks, frameworks, agents and executors', async () => {
    const st = (await op({ type: 'GET_STATE' })).body.get_state
    const task = st.get_tasks.tasks.find((t: any) => t.task_id.value === 'web')
    expect(task).toMatchObject({ state: 'TASK_RUNNING', agent_id: { value: agentId } })
    expect(task.statuses.at(-1).container_status.container_id.value).toMatch(/^[0-9a-f-]{36}$/)
    expect(st.get_frameworks.frameworks[0].framework_info.name).toBe('observer')
    expect(st.get_agents.agents[0].agent_info.attributes).toContainEqual({ name: 'rack', type: 'TEXT', text: { value: 'r1' } })
  })
  test('GET_AGENTS shows total and allocated resources', async () => {
    const a = (await op({ type: 'GET_AGENTS' })).body.get_agents.agents[0]
    expect(a.active).toBe(true)
    expect(a.pid).toMatch(/^slave\(1\)@127\.0\.0\.1:\d+$/)
    const cpus = (list: any[]) => list.filter(r => r.name === 'cpus').reduce((s, r) => s + r.scalar.value, 0)
    expect(cpus(a.total_resources)).toBe(2)
    expect(cpus(a.allocated_resources)).toBe(0.5)
  })
  test('GET_ROLES, GET_WEIGHTS and UPDATE_WEIGHTS', async () => {
    expect((await op({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'dev', weight: 2.5 }] } })).status).toBe(200)
    expect((await op({ type: 'GET_WEIGHTS' })).body.get_weights.weight_infos).toContainEqual({ role: 'dev', weight: 2.5 })
    const roles = (await op({ type: 'GET_ROLES' })).body.get_roles.roles
    expect(roles.find((r: any) => r.name === 'dev')).toMatchObject({ weight: 2.5, frameworks: [{ value: sched.frameworkId }] })
    expect((await op({ type: 'UPDATE_WEIGHTS', update_weights: { weight_infos: [{ role: 'dev', weight: -1 }] } })).status).toBe(400)
  })
  test('GET_METRICS uses Mesos metric names', async () => {
    const metrics = Object.fromEntries((await op({ type: 'GET_METRICS', get_metrics: {} })).body.get_metrics.metrics.map((m: any) => [m.name, m.value]))
    expect(metrics['master/elected']).toBe(1)
    expect(metrics['master/tasks_running']).toBe(1)
    expect(metrics['master/cpus_total']).toBe(2)
    expect(metrics['master/cpus_used']).toBe(0.5)
    expect(metrics['master/slaves_active']).toBe(1)
  })
  test('protobuf in and out', async () => {
    const Call = message('mesos.v1.master.Call')
    const Response = message('mesos.v1.master.Response')
    const r = await fetch(`${master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', Accept: 'application/x-protobuf' }, body: encodeMessage(Call, { type: 'GET_HEALTH' }) })
    expect(r.headers.get('content-type')).toBe('application/x-protobuf')
    expect(decodeMessage(Response, new Uint8Array(await r.arrayBuffer()))).toEqual({ type: 'GET_HEALTH', get_health: { healthy: true } })
  })
  test('bad calls are 4xx, unimplemented ones 501', async () => {
    expect((await op({ type: 'TEARDOWN' })).status).toBe(400)
    expect((await op({ type: 'TEARDOWN', teardown: { framework_id: { value: 'nope' } } })).status).toBe(400)
    expect((await op({ nope: 1 })).status).toBe(400)
    expect(await op({ type: 'START_MAINTENANCE', start_maintenance: {} })).toEqual({ status: 400, body: 'List of machines is empty' })
  })
  /** An operator event stream (SUBSCRIBE on /api/v1), collected into `events`. */
  async function operatorEvents() {
    const ctl = new AbortController()
    const r = await fetch(`${master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'SUBSCRIBE' }), signal: ctl.signal })
    expect(r.status).toBe(200)
    const events: any[] = []
    void (async () => {
      let buf = Buffer.alloc(0)
      try {
        for await (const c of r.body!) {
          buf = Buffer.concat([buf, Buffer.from(c)])
          for (;;) {
            const nl = buf.indexOf(10); if (nl < 0) break
            const len = Number(buf.subarray(0, nl).toString()); if (buf.length < nl + 1 + len) break
            events.push(JSON.parse(buf.subarray(nl + 1, nl + 1 + len).toString())); buf = buf.subarray(nl + 1 + len)
          }
        }
      } catch { /* aborted */ }
    })()
    await waitFor('SUBSCRIBED', () => events.find(e => e.type === 'SUBSCRIBED'))
    return { events, close: () => ctl.abort() }
  }

  test('SUBSCRIBE streams the state, then task and framework events', async () => {
    const { events, close } = await operatorEvents()
    expect(events[0].subscribed.get_state.get_tasks.tasks.length).toBeGreaterThan(0)
    expect(events[0].subscribed.heartbeat_interval_seconds).toBe(15)
    await waitFor('HEARTBEAT', () => events.find(e => e.type === 'HEARTBEAT'))
    const run = await meso(['task', 'run', `--master=${master.url}`, '--', 'true'])
    expect(run.code).toBe(0)
    await waitFor('FRAMEWORK_ADDED', () => events.find(e => e.type === 'FRAMEWORK_ADDED'))
    await waitFor('TASK_ADDED', () => events.find(e => e.type === 'TASK_ADDED' && e.task_added.task.state === 'TASK_STAGING'))
    await waitFor('TASK_UPDATED', () => events.find(e => e.type === 'TASK_UPDATED' && e.task_updated.state === 'TASK_FINISHED'))
    await waitFor('FRAMEWORK_REMOVED', () => events.find(e => e.type === 'FRAMEWORK_REMOVED'))
    close()
  })

  test('TASK_UPDATED follows the latest state while the scheduler has not acknowledged the earlier updates', async () => {
    const { events, close } = await operatorEvents()
    const lazy = new RawScheduler(master.url, false)
    await lazy.subscribe(frameworkInfo('never-acks'))
    const o = (await lazy.next(e => e.type === 'OFFERS')).offers.offers[0]
    await lazy.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('quick', agentId, 'true')] } }] } })
    // The agent holds TASK_RUNNING and TASK_FINISHED behind the unacknowledged TASK_STARTING; the master still
    // learns the latest state, and so must operator subscribers.
    const finished = await waitFor('TASK_UPDATED → TASK_FINISHED', () => events.find(e => e.type === 'TASK_UPDATED' && e.task_updated.status.task_id.value === 'quick' && e.task_updated.state === 'TASK_FINISHED'))
    expect(finished.task_updated.framework_id.value).toBe(lazy.frameworkId)
    expect(lazy.updates('quick').map(s => s.state)).toEqual(['TASK_STARTING'])
    const t = (await op({ type: 'GET_TASKS' })).body.get_tasks
    expect([...(t.tasks ?? []), ...(t.completed_tasks ?? [])].find((x: any) => x.task_id.value === 'quick')).toMatchObject({ state: 'TASK_FINISHED', status_update_state: 'TASK_STARTING' })
    await lazy.call('TEARDOWN')
    lazy.close()
    close()
  })
})

describe('v0 endpoints', () => {
  test('/master/state and its aliases', async () => {
    for (const p of ['/master/state', '/state', '/state.json', '/master/state.json']) {
      const s = await get(p)
      expect(s.pid).toMatch(/^master@/)
      expect(s.cluster).toBe('unit')
      expect(s.activated_slaves).toBe(1)
      expect(s.slaves[0]).toMatchObject({ id: agentId, attributes: { rack: 'r1', cores: 8 }, active: true })
      expect(s.slaves[0].resources).toMatchObject({ cpus: 2, mem: 1024, ports: '[31000-31009]' })
      expect(s.slaves[0].pid).toMatch(/^slave\(1\)@/)
      const fw = s.frameworks.find((f: any) => f.name === 'observer')
      expect(fw.roles).toEqual(['dev'])
      expect(fw.tasks[0]).toMatchObject({ id: 'web', slave_id: agentId, state: 'TASK_RUNNING', resources: { cpus: 0.5, mem: 64 } })
      expect(fw.tasks[0].statuses[0].container_status.container_id.value).toBeTruthy()
    }
  })
  test('/master/state-summary, /master/slaves, /master/frameworks/ (trailing slash), /master/tasks', async () => {
    const sum = await get('/master/state-summary')
    expect(sum.slaves[0].TASK_RUNNING).toBe(1)
    expect(sum.frameworks.find((f: any) => f.name === 'observer').slave_ids).toEqual([agentId])
    expect((await get('/master/slaves')).slaves[0].used_resources_full).toBeDefined()
    expect((await get('/master/frameworks/')).frameworks.length).toBeGreaterThan(0)
    const tasks = await get('/tasks?order=asc&limit=-1')
    expect(tasks.tasks.map((t: any) => t.id)).toContain('web')
    expect((await get('/master/tasks?task_id=web')).tasks.length).toBe(1)
  })
  test('/metrics/snapshot, /health, /version, /flags, /master/redirect, jsonp', async () => {
    const m = await get('/metrics/snapshot')
    for (const k of ['master/elected', 'master/tasks_running', 'master/cpus_total', 'master/cpus_used', 'master/slaves_active', 'system/cpus_total']) expect(typeof m[k]).toBe('number')
    expect((await fetch(`${master.url}/health`)).status).toBe(200)
    expect((await get('/version')).version).toMatch(/^1\./)
    expect((await get('/master/flags')).flags.allocation_interval).toBe('100ms')
    const red = await fetch(`${master.url}/master/redirect`, { redirect: 'manual' })
    expect(red.status).toBe(307)
    expect(red.headers.get('location')).toMatch(/^\/\/[^/]+:\d+$/)
    const jsonp = await (await fetch(`${master.url}/master/state?jsonp=cb`)).text()
    expect(jsonp.startsWith('cb({')).toBe(true)
    expect((await fetch(`${master.url}/no/such/thing`)).status).toBe(404)
  })
})

describe('agent endpoints', () => {
  const agentOp = (body: unknown) => op(body, agent.url)
  test('GET_STATE / GET_CONTAINERS / GET_TASKS / GET_AGENT', async () => {
    const st = (await agentOp({ type: 'GET_STATE' })).body.get_state
    expect(st.get_tasks.launched_tasks.map((t: any) => t.task_id.value)).toContain('web')
    expect(st.get_executors.executors[0].executor_info.executor_id.value).toBe('web')
    const c = (await agentOp({ type: 'GET_CONTAINERS' })).body.get_containers.containers[0]
    expect(c.executor_id.value).toBe('web')
    expect(c.resource_statistics.processes).toBeGreaterThan(0)
    expect(c.resource_statistics.cpus_limit).toBe(0.5)
    expect((await agentOp({ type: 'GET_AGENT' })).body.get_agent.agent_info.id.value).toBe(agentId)
  })
  test('/state, /monitor/statistics, /containers, /metrics/snapshot', async () => {
    const s = await get('/state', agent.url)
    expect(s.id).toBe(agentId)
    const ex = s.frameworks[0].executors[0]
    expect(ex.tasks[0].id).toBe('web')
    expect(ex.directory).toContain('/runs/')
    expect((await get('/slave(1)/state', agent.url)).id).toBe(agentId)
    const stats = await get('/monitor/statistics', agent.url)
    expect(stats[0].statistics.mem_rss_bytes).toBeGreaterThan(0)
    expect((await get('/containers', agent.url))[0].executor_id).toBe('web')
    expect((await get('/metrics/snapshot', agent.url))['slave/registered']).toBe(1)
  })
  test('/files/browse and /files/read serve the sandbox, by host path and by the latest alias', async () => {
    const s = await get('/state', agent.url)
    const ex = s.frameworks[0].executors[0]
    const listing = await get(`/files/browse?path=${encodeURIComponent(ex.directory)}`, agent.url)
    expect(listing.map((f: any) => f.path.split('/').pop())).toEqual(expect.arrayContaining(['stdout', 'stderr']))
    const latest = `/frameworks/${sched.frameworkId}/executors/web/runs/latest/stdout`
    const read = await get(`/files/read?path=${encodeURIComponent(latest)}&offset=0`, agent.url)
    expect(read).toEqual({ offset: 0, data: 'started\n' })
    expect(await get(`/files/read?path=${encodeURIComponent(latest)}`, agent.url)).toEqual({ offset: 8, data: '' })
    expect((await fetch(`${agent.url}/files/read?path=${encodeURIComponent(ex.directory + '/../../../../../../../../etc/passwd')}&offset=0`)).status).toBeGreaterThanOrEqual(403)
    expect((await fetch(`${agent.url}/files/read?path=/nope&offset=0`)).status).toBe(404)
  })
})

describe('CLI read commands', () => {
  test('agent list, framework list, cluster status (tables and --json)', async () => {
    const agents = JSON.parse((await meso(['agent', 'list', '--json', `--master=${master.url}`])).stdout)
    expect(agents[0]).toMatchObject({ id: agentId, active: true })
    const fws = JSON.parse((await meso(['framework', 'list', '--json', `--master=${master.url}`])).stdout)
    expect(fws.map((f: any) => f.name)).toContain('observer')
    const st = JSON.parse((await meso(['cluster', 'status', '--json', `--master=${master.url}`])).stdout)
    expect(st).toMatchObject({ healthy: true, agents: { active: 1 } })
    const table = await meso(['task', 'list', `--master=${master.url}`])
    expect(table.stdout).toMatch(/^ID\s+NAME\s+STATE/)
    expect(table.stdout).toContain('web')
    const env = await meso(['cluster', 'status'], { env: { MESO_MASTER: master.url } })
    expect(env.stdout).toContain('healthy')
  })
})

// The services scheduler end to end (docs/services.md): a real master and three agents (the linux launcher where
// this host has it), Marathon's /v2 API called with the requests marathon-python sends (its headers, `force=False`
// as Python's requests encodes a bool, `embed` repeated, scale_app's GET-then-PUT {"instances": n}, rollback by
// DELETE /v2/deployments, kill_given_tasks). An HTTP app with three instances and a MESOS_HTTP health check; scaled
// to five and back; a rolling upgrade to an unhealthy version that stays stuck without killing the healthy old
// tasks, then a rollback; UNIQUE hostname with more instances than agents, the surplus waiting with its reason in
// /v2/queue; Marathon's 422; the event stream; kill -9 of an agent (its tasks replaced elsewhere); and a master
// restart in the middle of a deployment (it resumes, no duplicate tasks).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const dir = tempDir('meso-services-e2e-')
let master: Daemon
const agents: Daemon[] = []
let masterPort = 0
// Agents are declared lost after 3 missed pings of 1 s (kill -9 test); the linux launcher when available.
const masterFlags = ['--allocation_interval=100ms', '--agent_ping_timeout=1secs', '--max_agent_ping_timeouts=3', '--agent_reregister_timeout=20secs']
const launcher = linuxLauncherUnavailable({}) ? '--launcher=posix' : '--launcher=linux'

/** A request as marathon-python's MarathonClient._do_request makes it. */
async function marathon(method: string, path: string, params: Record<string, string | string[] | boolean> = {}, data?: unknown): Promise<{ status: number; body: any }> {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, typeof x === 'boolean' ? (x ? 'True' : 'False') : x)
  const res = await fetch(`${master.url}${path}${q.size ? `?${q}` : ''}`, {
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    ...(data !== undefined ? { body: JSON.stringify(data) } : {}),
  })
  const text = await res.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch { /* not JSON */ }
  return { status: res.status, body }
}

const app = async (id: string) => (await marathon('GET', `/v2/apps${id}`, { embed: ['app.tasks', 'app.counts'] })).body.app
const noDeployments = (what: string, timeoutMs = 30_000) => waitFor(what, async () => (await marathon('GET', '/v2/deployments')).body.length === 0, timeoutMs, 200)
const healthy = (id: string, n: number, timeoutMs = 30_000) => waitFor(`${n} healthy tasks of ${id}`, async () => {
  const a = await app(id)
  return a.tasksHealthy === n && a.tasks.length === n ? a : undefined
}, timeoutMs, 200)

const WEB = {
  // As marathon-python's MarathonApp(...).to_json(minimal=True) posts it: camelCase, no nulls.
  id: '/e2e/web', cmd: '/usr/bin/python3 -m http.server $PORT0', cpus: 0.1, mem: 64, instances: 3,
  healthChecks: [{ protocol: 'MESOS_HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 5, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 2, delaySeconds: 0 }],
  upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
  backoffSeconds: 1, backoffFactor: 1.15, maxLaunchDelaySeconds: 5,
  labels: { team: 'e2e' },
}

beforeAll(async () => {
  master = await startMaster(join(dir, 'master'), masterFlags)
  masterPort = Number(new URL(master.url).port)
  // All agents share this host's network: each gets its own port range, so a health check on one agent's task
  // never reaches another agent's task.
  for (const [i, h] of ['node-a', 'node-b', 'node-c'].entries()) {
    agents.push(await startAgent(master.url, join(dir, h), [launcher, `--hostname=${h}`, `--resources=cpus:2;mem:1024;disk:1024;ports:[${31000 + i * 100}-${31099 + i * 100}]`]))
  }
  await waitFor('three agents', async () => (await (await fetch(`${master.url}/master/slaves`)).json() as any).slaves.length === 3)
})

afterAll(async () => {
  for (const a of agents) await a.kill('SIGKILL').catch(() => {})
  await master?.kill().catch(() => {})
})

describe('services', () => {
  let originalTaskIds: string[] = []

  test('deploy an HTTP app with 3 instances and a MESOS_HTTP health check', async () => {
    const created = await marathon('POST', '/v2/apps', {}, WEB)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ ...WEB, version: expect.any(String), deployments: [{ id: expect.any(String) }], tasksRunning: 0 })
    await noDeployments('the first deployment')
    const a = await healthy('/e2e/web', 3)
    originalTaskIds = a.tasks.map((t: any) => t.id).sort()
    const t = a.tasks[0]
    // marathon-python's MarathonTask takes exactly these keys.
    expect(Object.keys(t).sort()).toEqual(['appId', 'healthCheckResults', 'host', 'id', 'ipAddresses', 'localVolumes', 'ports', 'role', 'servicePorts', 'slaveId', 'stagedAt', 'startedAt', 'state', 'version'])
    expect(t).toMatchObject({ appId: '/e2e/web', state: 'TASK_RUNNING', healthCheckResults: [{ alive: true, consecutiveFailures: 0 }] })
    expect(t.id).toMatch(/^e2e_web\.[0-9a-f-]{36}$/)
    // The app answers on its port.
    expect((await fetch(`http://127.0.0.1:${t.ports[0]}/`)).status).toBe(200)
    const tasks = await marathon('GET', '/v2/tasks')
    expect(tasks.body.tasks.filter((x: any) => x.appId === '/e2e/web')).toHaveLength(3)
  })

  test('scale to 5 and back to 3, as scale_app does it', async () => {
    const current = await marathon('GET', '/v2/apps/e2e/web')
    expect(current.body.app.instances).toBe(3)
    const up = await marathon('PUT', '/v2/apps/e2e/web', { force: false }, { instances: 5 })
    expect(up.status).toBe(200)
    expect(up.body).toEqual({ deploymentId: expect.any(String), version: expect.any(String) })
    await healthy('/e2e/web', 5)
    await noDeployments('the scale-up')
    const down = await marathon('PUT', '/v2/apps/e2e/web', { force: false }, { instances: 3 })
    expect(down.status).toBe(200)
    const a = await healthy('/e2e/web', 3)
    // A scaling keeps the config version: the first three tasks were not replaced (YOUNGEST_FIRST killed the new).
    expect(a.tasks.map((t: any) => t.id).sort()).toEqual(originalTaskIds)
    expect(a.versionInfo.lastConfigChangeAt).not.toBe(a.versionInfo.lastScalingAt)
    const versions = await marathon('GET', '/v2/apps/e2e/web/versions')
    expect(versions.body.versions).toHaveLength(3)
  })

  test('a rolling upgrade to an unhealthy version stays stuck with its reason; the rollback restores', async () => {
    const upgrade = await marathon('PUT', '/v2/apps/e2e/web', { force: false }, { cmd: 'sleep 600' })
    expect(upgrade.status).toBe(200)
    const id = upgrade.body.deploymentId
    // The new tasks fail their health checks (killed after 2 failures, relaunched with backoff); the old ones stay.
    const d = await waitFor('the new tasks to fail their health checks', async () => {
      const found = (await marathon('GET', '/v2/deployments', { embed: 'reasons' })).body.find((x: any) => x.id === id)
      const a = await app('/e2e/web')
      return found?.reason && a.lastTaskFailure?.version === upgrade.body.version ? found : undefined
    }, 40_000, 500).catch(async err => {
      console.error('master log (services):', master.log().split('\n').filter(l => /services|Status update|TASK_/.test(l)).slice(-80).join('\n'))
      throw err
    })
    expect(d).toMatchObject({ affectedApps: ['/e2e/web'], currentStep: 1, totalSteps: 1, currentActions: [{ action: 'RestartApplication', app: '/e2e/web' }] })
    expect(d.reason).toContain('before killing 3 old task(s)')
    // Without ?embed=reasons the shape is exactly Marathon's (marathon-python's MarathonDeployment).
    expect(Object.keys((await marathon('GET', '/v2/deployments')).body[0]).sort()).toEqual(['affectedApps', 'affectedPods', 'currentActions', 'currentStep', 'id', 'steps', 'totalSteps', 'version'])
    const during = await app('/e2e/web')
    const oldOnes = during.tasks.filter((t: any) => originalTaskIds.includes(t.id))
    expect(oldOnes).toHaveLength(3)
    expect(oldOnes.every((t: any) => t.healthCheckResults[0]?.alive === true)).toBe(true)
    // A change while it is locked: 409 naming the deployment.
    const locked = await marathon('PUT', '/v2/apps/e2e/web', { force: false }, { instances: 4 })
    expect(locked.status).toBe(409)
    expect(locked.body.deployments).toEqual([{ id }])
    // marathon-python's delete_deployment(force=False): the rollback.
    const rollback = await marathon('DELETE', `/v2/deployments/${id}`)
    expect(rollback.status).toBe(200)
    expect(rollback.body).toEqual({ deploymentId: expect.any(String), version: expect.any(String) })
    await noDeployments('the rollback')
    const after = await healthy('/e2e/web', 3)
    expect(after.cmd).toBe(WEB.cmd)
    expect(after.tasks.map((t: any) => t.id).sort()).toEqual(originalTaskIds)
  }, 60_000)

  test('UNIQUE hostname with more instances than agents: the surplus waits, and /v2/queue says why', async () => {
    const r = await marathon('POST', '/v2/apps', {}, { id: '/e2e/unique', cmd: 'sleep 600', cpus: 0.05, mem: 16, instances: 4, constraints: [['hostname', 'UNIQUE']] })
    expect(r.status).toBe(201)
    await waitFor('3 running', async () => (await app('/e2e/unique')).tasksRunning === 3, 20_000, 200)
    const item = await waitFor('declined offers in the queue', async () => {
      const q = (await marathon('GET', '/v2/queue', { embed: 'lastUnusedOffers' })).body.queue.find((x: any) => x.app.id === '/e2e/unique')
      return q?.processedOffersSummary.unusedOffersCount > 0 ? q : undefined
    }, 20_000, 300)
    expect(item.count).toBe(1)
    expect(item.delay).toEqual({ timeLeftSeconds: 0, overdue: true })
    expect(item.processedOffersSummary.rejectSummaryLastOffers.find((x: any) => x.reason === 'UnfulfilledConstraint').declined).toBeGreaterThan(0)
    expect(item.lastUnusedOffers[0]).toMatchObject({ offer: { hostname: expect.stringMatching(/^node-[abc]$/) }, reason: ['UnfulfilledConstraint'] })
    expect(Object.keys(item).sort()).toEqual(['app', 'count', 'delay', 'lastUnusedOffers', 'processedOffersSummary', 'since'])
    // Its deployment never finishes (the fourth instance has no place): removing it needs force, as in Marathon.
    expect((await marathon('DELETE', '/v2/apps/e2e/unique', { force: false })).status).toBe(409)
    expect((await marathon('DELETE', '/v2/apps/e2e/unique', { force: true })).status).toBe(200)
    await noDeployments('removing /e2e/unique')
  }, 60_000)

  test("invalid app definitions: Marathon's 422 with details", async () => {
    const r = await marathon('POST', '/v2/apps', {}, { id: '/e2e/Bad', cmd: 'x', cpus: -1, constraints: [['hostname', 'BOGUS']] })
    expect(r.status).toBe(422)
    expect(r.body.message).toBe('Object is not valid')
    expect(r.body.details).toEqual(expect.arrayContaining([
      { path: '/id', errors: [expect.stringContaining('must fully match regular expression')] },
      { path: '/cpus', errors: ['got -1.0, expected 0.0 or more'] },
      { path: '/constraints(0)', errors: [expect.stringContaining('Constraint operator must be one of the following')] },
    ]))
    expect((await marathon('GET', '/v2/apps/e2e/nope')).status).toBe(404)
  })

  test('info, leader, ping, the event stream and kill_given_tasks', async () => {
    expect((await marathon('GET', '/v2/info')).body).toMatchObject({ name: 'marathon', elected: true, frameworkId: expect.any(String) })
    expect((await marathon('GET', '/v2/leader')).body).toEqual({ leader: expect.stringMatching(/:\d+$/) })
    expect(await (await fetch(`${master.url}/ping`)).text()).toBe('pong')
    const stream = await fetch(`${master.url}/v2/events?event_type=status_update_event&event_type=deployment_success`, { headers: { Accept: 'text/event-stream' } })
    expect(stream.headers.get('content-type')).toBe('text/event-stream')
    const reader = stream.body!.getReader()
    const victim = (await app('/e2e/web')).tasks[0].id
    const killed = await marathon('POST', '/v2/tasks/delete', { scale: false }, { ids: [victim] })
    expect(killed.status).toBe(200)
    expect(killed.body.tasks.map((t: any) => t.id)).toEqual([victim])
    let text = ''
    const deadline = Date.now() + 20_000
    while (!text.includes('TASK_KILLED') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value)
    await reader.cancel()
    expect(text).toMatch(new RegExp(`event: status_update_event\\ndata: \\{"eventType":"status_update_event","timestamp":"[^"]+","slaveId":"[^"]+","taskId":"${victim.replace(/\./g, '\\.')}","taskStatus":"TASK_KILL`))
    await healthy('/e2e/web', 3)
  }, 40_000)

  test('kill -9 of an agent: its tasks are replaced on the others', async () => {
    const before = await app('/e2e/web')
    const host = before.tasks[0].host as string
    const gone = before.tasks.filter((t: any) => t.host === host).map((t: any) => t.id)
    const agent = agents[['node-a', 'node-b', 'node-c'].indexOf(host)]!
    await agent.kill('SIGKILL')
    const after = await waitFor('replacements on the other agents', async () => {
      const a = await app('/e2e/web')
      return a.tasksHealthy === 3 && a.tasks.length === 3 && a.tasks.every((t: any) => t.host !== host) ? a : undefined
    }, 40_000, 500)
    expect(after.tasks.some((t: any) => gone.includes(t.id))).toBe(false)
  }, 60_000)

  test('a master restart in the middle of a deployment: it resumes, no duplicate tasks', async () => {
    const r = await marathon('PUT', '/v2/apps/e2e/web', { force: false }, { instances: 5, cmd: '/usr/bin/python3 -m http.server $PORT0 --bind 127.0.0.1' })
    expect(r.status).toBe(200)
    await master.kill('SIGKILL')
    master = await startMaster(join(dir, 'master'), [...masterFlags, `--port=${masterPort}`])
    const d = await waitFor('the deployment after the restart', async () => (await marathon('GET', '/v2/deployments').catch(() => ({ body: [] }))).body.find((x: any) => x.id === r.body.deploymentId) ?? ((await app('/e2e/web'))?.tasksHealthy === 5 ? { done: true } : undefined), 30_000, 300)
    expect(d).toBeDefined()
    const a = await healthy('/e2e/web', 5, 60_000)
    await noDeployments('the resumed deployment', 30_000)
    expect(a.tasks.every((t: any) => t.version === r.body.version)).toBe(true)
    // No duplicates: the master knows exactly the app's tasks.
    const state = await (await fetch(`${master.url}/master/state`)).json() as any
    const fw = state.frameworks.find((f: any) => f.name === 'marathon')
    const live = fw.tasks.filter((t: any) => t.state === 'TASK_RUNNING' && t.id.startsWith('e2e_web.'))
    expect(live.map((t: any) => t.id).sort()).toEqual(a.tasks.map((t: any) => t.id).sort())
  }, 120_000)
})

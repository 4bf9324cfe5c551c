// Resident apps end to end (docs/services.md, "Resident apps"): a real master and agent (the linux launcher where
// this host has it), through Marathon's /v2 API. An app with a persistent volume whose task appends a line to
// data/count when it starts: the scheduler reserves its resources and creates the volume with the launch; a
// restart, and a kill of its task, relaunch it on the same agent with the same volume (the data survived); after a
// master restart the instance still knows its reservation and is relaunched on it again; deleting the app destroys
// the volume and unreserves everything (GET_AGENTS and /master/state show nothing reserved for the role).

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const dir = tempDir('meso-resident-e2e-')
let master: Daemon
let agent: Daemon
let masterPort = 0
const masterFlags = ['--allocation_interval=100ms', '--agent_reregister_timeout=20secs']
const launcher = linuxLauncherUnavailable({}) ? '--launcher=posix' : '--launcher=linux'
const ROLE = 'db'

async function v2(method: string, path: string, data?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${master.url}${path}`, {
    method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, ...(data !== undefined ? { body: JSON.stringify(data) } : {}),
  })
  const text = await res.text()
  let body: unknown = text
  try { body = JSON.parse(text) } catch { /* not JSON */ }
  return { status: res.status, body }
}

const DB = {
  id: '/e2e/db', role: ROLE, instances: 1, cpus: 0.1, mem: 32, disk: 0,
  // Each start appends a line to the volume and prints how many there are.
  cmd: 'echo started >> data/count && wc -l < data/count && exec sleep 3600',
  container: { type: 'MESOS', volumes: [{ containerPath: 'data', mode: 'RW', persistent: { type: 'root', size: 64 } }] },
}

const runningTask = (what: string, not?: string) => waitFor(what, async () => {
  const r = await v2('GET', '/v2/apps/e2e/db/tasks').catch(() => undefined)
  const t = r?.status === 200 ? (r.body.tasks as any[]).find(x => x.state === 'TASK_RUNNING' && x.id !== not) : undefined
  return t
}, 60_000, 200)
const noDeployments = (what: string) => waitFor(what, async () => (await v2('GET', '/v2/deployments').catch(() => ({ body: [1] }))).body.length === 0, 30_000, 200)
const volumeFile = (persistenceId: string) => join(dir, 'agent', 'volumes', 'roles', ROLE, persistenceId, 'count')
const lines = (persistenceId: string) => existsSync(volumeFile(persistenceId)) ? readFileSync(volumeFile(persistenceId), 'utf8').split('\n').filter(Boolean).length : 0
const getAgents = async () => {
  const r = await fetch(`${master.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type: 'GET_AGENTS' }) })
  return ((await r.json()) as any).get_agents.agents as any[]
}
const reservedFor = (resources: any[] | undefined) => (resources ?? []).filter(r => (r.reservations ?? []).some((x: any) => x.role === ROLE) || r.role === ROLE)

beforeAll(async () => {
  master = await startMaster(join(dir, 'master'), masterFlags)
  masterPort = Number(new URL(master.url).port)
  agent = await startAgent(master.url, join(dir, 'agent'), [launcher, '--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31099]', '--registration_backoff_factor=100ms'])
  await waitFor('the agent', async () => (await (await fetch(`${master.url}/master/slaves`)).json() as any).slaves.length === 1)
})

afterAll(async () => {
  if (process.env.RESIDENT_E2E_LOG) await Bun.write(process.env.RESIDENT_E2E_LOG, `${master?.log() ?? ''}\n----- agent\n${agent?.log() ?? ''}`)
  await agent?.kill('SIGKILL').catch(() => {})
  await master?.kill().catch(() => {})
})

describe('resident apps', () => {
  let first: any

  test('reserve + create + launch: the task writes into its volume; the reservation carries the instance labels', async () => {
    const created = await v2('POST', '/v2/apps', DB)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 }, unreachableStrategy: 'disabled', residency: { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: 'WAIT_FOREVER' } })
    first = await runningTask('the first task')
    expect(first.localVolumes).toEqual([{ runSpecId: '/e2e/db', containerPath: 'data', uuid: expect.any(String), persistenceId: expect.stringMatching(/^e2e_db#data#/) }])
    const pid = first.localVolumes[0].persistenceId
    await waitFor('the first line in the volume', () => lines(pid) === 1, 20_000)
    const agents = await getAgents()
    const reserved = reservedFor(agents[0].total_resources)
    const volume = reserved.find(r => r.disk?.persistence?.id === pid)
    expect(volume).toMatchObject({ scalar: { value: 64 }, disk: { volume: { container_path: 'data', mode: 'RW' } } })
    const labels = Object.fromEntries((volume.reservations.at(-1).labels.labels as any[]).map(l => [l.key, l.value]))
    const info = (await v2('GET', '/v2/info')).body
    expect(labels).toEqual({ marathon_framework_id: info.frameworkId, marathon_task_id: expect.stringMatching(/^e2e_db\.marathon-/) })
    expect(reserved.map(r => r.name).sort()).toEqual(['cpus', 'disk', 'mem', 'ports'])
  })

  test('a restart relaunches on the same agent with the same volume: the data survived', async () => {
    await noDeployments('the first deployment')
    const r = await v2('POST', '/v2/apps/e2e/db/restart', {})
    expect(r.status).toBe(200)
    const second = await runningTask('the restarted task', first.id)
    expect(second.slaveId).toBe(first.slaveId)
    expect(second.ports).toEqual(first.ports)
    expect(second.localVolumes).toEqual(first.localVolumes)
    await waitFor('the second line in the volume', () => lines(first.localVolumes[0].persistenceId) === 2, 20_000)
    // Still one reservation: the volume was not created twice.
    const volumes = reservedFor((await getAgents())[0].total_resources).filter(x => x.disk?.persistence)
    expect(volumes).toHaveLength(1)
    // A task killed without scaling is replaced, on the same reservation too.
    await noDeployments('the restart')
    expect((await v2('DELETE', `/v2/apps/e2e/db/tasks/${second.id}`)).status).toBe(200)
    const third = await runningTask('the replacement of the killed task', second.id)
    expect([third.slaveId, third.localVolumes]).toEqual([first.slaveId, first.localVolumes])
    await waitFor('the third line in the volume', () => lines(first.localVolumes[0].persistenceId) === 3, 20_000)
    first = third
  })

  test('after a master restart the instance still knows its reservation', async () => {
    await master.kill()
    master = await startMaster(join(dir, 'master'), [...masterFlags, `--port=${masterPort}`])
    await runningTask('the task reconciled after the master restart')
    await noDeployments('the deployments after the master restart')
    // The restart may come before the agent is back: the master drops that first kill, the scheduler kills again
    // (KILL_RETRY_MS), so this can take ~10 s.
    const r = await v2('POST', '/v2/apps/e2e/db/restart', {})
    expect(r.status).toBe(200)
    const fourth = await runningTask('the task restarted after the master restart', first.id)
    expect(fourth.slaveId).toBe(first.slaveId)
    expect(fourth.localVolumes).toEqual(first.localVolumes)
    await waitFor('the fourth line in the volume', () => lines(first.localVolumes[0].persistenceId) === 4, 20_000)
    expect(reservedFor((await getAgents())[0].total_resources).filter(x => x.disk?.persistence)).toHaveLength(1)
  })

  test('deleting the app destroys the volume and unreserves its resources', async () => {
    await noDeployments('the restart after the master restart')
    const r = await v2('DELETE', '/v2/apps/e2e/db')
    expect(r.status).toBe(200)
    await waitFor('nothing reserved for the role', async () => reservedFor((await getAgents())[0]?.total_resources).length === 0, 30_000, 200)
    const state = await (await fetch(`${master.url}/master/state`)).json() as any
    expect(state.slaves[0].reserved_resources[ROLE]).toBeUndefined()
    // The agent removed the destroyed volume's directory.
    await waitFor('the volume directory gone', () => !existsSync(dirname(volumeFile(first.localVolumes[0].persistenceId))), 10_000)
    expect((await v2('GET', '/v2/apps/e2e/db')).status).toBe(404)
  })
})

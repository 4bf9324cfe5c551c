// Health checks and checks (issue 16) with a real master and agent and a raw v1 scheduler:
// - posix launcher: an HTTP health check on a `python3 -m http.server` task turns healthy (REASON_TASK_HEALTH_CHECK_
//   STATUS_UPDATED, state TASK_RUNNING) and the master shows it; a COMMAND health check that fails kills the task after
//   `consecutive_failures` (healthy: false updates, then TASK_KILLED with healthy: false and no reason);
//   a TCP check reports check_status changes; invalid health checks and checks are TASK_ERROR with upstream's words;
//   `meso task run --health-cmd` and `meso task list` show HEALTH.
// - linux launcher with a CNI network of the test's own: HTTP health check and TCP check of a server bound to the
//   container's own 127.0.0.1 (probed from inside its network namespace), a COMMAND health check run inside the
//   container (crun exec), and a task group's health checked task.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createServer } from 'node:net'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { DEFAULT_LINUX_ISOLATION } from '../../src/agent/isolators/index.ts'
import { cniUnavailable, createTestNetwork, type TestNetwork } from '../helpers/cni-network.ts'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { meso, tempDir, waitFor } from '../helpers/processes.ts'

const PYTHON = '/usr/bin/python3'

async function freePort(): Promise<number> {
  return new Promise(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const res = [
  { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, allocation_info: { role: '*' } },
  { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, allocation_info: { role: '*' } },
]
const task = (id: string, agentId: string, cmd: string, extra: Record<string, unknown> = {}) =>
  ({ name: id, task_id: { value: id }, agent_id: { value: agentId }, resources: res, command: { value: cmd }, ...extra })

/** Fast timing for tests: first probe at once, then every 0.5 s. */
const fast = { delay_seconds: 0, interval_seconds: 0.5, timeout_seconds: 5 }

function helpers(c: () => OneAgentCluster) {
  const update = (id: string, pred: (s: any) => boolean, timeoutMs = 60_000) =>
    c().sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === id && pred(e.update.status), timeoutMs).then(e => e.update.status)
  return {
    update,
    running: (id: string) => update(id, s => s.state === 'TASK_RUNNING' && !s.reason),
    healthUpdate: (id: string, healthy: boolean) => update(id, s => s.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' && s.healthy === healthy),
    checkUpdate: (id: string, pred: (cs: any) => boolean) => update(id, s => s.reason === 'REASON_TASK_CHECK_STATUS_UPDATED' && pred(s.check_status)),
  }
}

/** The COMMAND health check that always fails, and what follows: the task killed with healthy: false. */
async function expectKilledByHealthCheck(cluster: OneAgentCluster, id: string) {
  const terminal = (await cluster.terminal(id, 60_000)).update.status
  const statuses = cluster.sched.updates(id)
  const unhealthy = statuses.filter(s => s.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED')
  // Every failure after the grace period is reported; the second one kills (consecutive_failures: 2).
  expect(unhealthy.map(s => [s.state, s.healthy])).toEqual([['TASK_RUNNING', false], ['TASK_RUNNING', false]])
  expect(terminal.state).toBe('TASK_KILLED')
  expect(terminal.healthy).toBe(false)
  expect(terminal.reason).toBeUndefined()
  expect(terminal.source).toBe('SOURCE_EXECUTOR')
}

describe('health checks and checks (posix launcher)', () => {
  let cluster: OneAgentCluster
  const h = helpers(() => cluster)

  beforeAll(async () => {
    cluster = await startOneAgentCluster(tempDir(), ['--resources=cpus:4;mem:2048'], 'health-e2e')
  }, 60_000)
  afterAll(async () => { await cluster?.stop() })

  test('HTTP health check turns healthy; a TCP check reports its result; the master shows healthy', async () => {
    const port = await freePort()
    const closed = await freePort()
    await cluster.launch(agentId => [
      task('web', agentId, `exec ${PYTHON} -m http.server ${port} --bind 127.0.0.1`, {
        health_check: { type: 'HTTP', http: { port, path: '/' }, ...fast, grace_period_seconds: 30 },
        check: { type: 'TCP', tcp: { port }, ...fast },
      }),
      task('tcp-closed', agentId, 'exec sleep 600', { check: { type: 'TCP', tcp: { port: closed }, ...fast } }),
    ], { cpus: 0.2, mem: 64 })
    const running = await h.running('web')
    // Every status of a task with a check carries check_status, empty until a result came.
    expect(running.check_status).toEqual({ type: 'TCP', tcp: {} })
    const healthy = await h.healthUpdate('web', true)
    expect(healthy.state).toBe('TASK_RUNNING')
    expect(healthy.container_status).toBeDefined()
    const checked = await h.checkUpdate('web', cs => cs?.tcp?.succeeded === true)
    expect(checked).toMatchObject({ state: 'TASK_RUNNING', check_status: { type: 'TCP', tcp: { succeeded: true } } })
    expect(await h.checkUpdate('tcp-closed', cs => cs?.tcp?.succeeded === false)).toMatchObject({ state: 'TASK_RUNNING' })
    // Only changes are reported, however many probes ran: one healthy update (failures while the server starts fall in
    // the grace period), and check updates that each differ from the one before (a refused connection may come first).
    await Bun.sleep(2000)
    expect(cluster.sched.updates('web').filter(s => s.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED')).toHaveLength(1)
    const checks = cluster.sched.updates('web').filter(s => s.reason === 'REASON_TASK_CHECK_STATUS_UPDATED').map(s => JSON.stringify(s.check_status))
    expect(checks.at(-1)).toBe(JSON.stringify({ type: 'TCP', tcp: { succeeded: true } }))
    for (let i = 1; i < checks.length; i++) expect(checks[i]).not.toBe(checks[i - 1])
    const state = await waitFor('healthy in /master/state', async () => {
      const s = await (await fetch(`${cluster.master.url}/master/state`)).json() as any
      const t = s.frameworks.flatMap((f: any) => f.tasks).find((t: any) => t.id === 'web')
      return t?.statuses?.some((x: any) => x.healthy === true) && t
    })
    expect(state.health_check.type).toBe('HTTP')
  }, 120_000)

  test('a failing COMMAND health check kills the task after consecutive_failures', async () => {
    await cluster.launch(agentId => [
      task('sick', agentId, 'exec sleep 600', { health_check: { type: 'COMMAND', command: { value: 'exit 1' }, ...fast, grace_period_seconds: 0, consecutive_failures: 2 } }),
    ])
    await expectKilledByHealthCheck(cluster, 'sick')
  }, 120_000)

  test('invalid health checks and checks are TASK_ERROR with upstream messages', async () => {
    await cluster.launch(agentId => [
      task('bad-path', agentId, 'true', { health_check: { type: 'HTTP', http: { port: 80, path: 'health' } } }),
    ])
    const a = (await cluster.terminal('bad-path')).update.status
    expect(a).toMatchObject({ state: 'TASK_ERROR', reason: 'REASON_TASK_INVALID', message: "Task uses invalid health check: The path 'health' of HTTP health check must start with '/'" })
    await cluster.launch(agentId => [task('bad-check', agentId, 'true', { check: { type: 'TCP' } })])
    const b = (await cluster.terminal('bad-check')).update.status
    expect(b).toMatchObject({ state: 'TASK_ERROR', message: "Task uses invalid check: Expecting 'tcp' to be set for TCP check" })
  }, 60_000)

  test('meso task run --health-cmd, and HEALTH in meso task list', async () => {
    const master = cluster.master.url
    // The raw scheduler holds its offers: give them back (and take no more) so that meso task run gets them.
    await cluster.sched.call('SUPPRESS')
    const offerIds = cluster.sched.events.filter(e => e.type === 'OFFERS').flatMap(e => e.offers.offers.map((o: any) => o.id))
    await cluster.sched.call('DECLINE', { decline: { offer_ids: offerIds, filters: { refuse_seconds: 3600 } } })
    const bad = await meso(['task', 'run', '--master', master, '--health-interval', '1s', '--', 'true'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--health-interval needs --health-cmd')
    // The start period hides the failures before `ready` exists: a detached run has no scheduler left to acknowledge
    // updates, so only the first health update reaches the master (docs/health-checks.md), and it must be the healthy one.
    const run = await meso(['task', 'run', '--master', master, '--detach', '--name', 'checked', '--health-cmd', 'test -f ready', '--health-interval', '1s', '--health-retries', '5',
      '--health-start-period', '60s', '--', 'sh', '-c', 'sleep 1; touch ready; exec sleep 600'])
    expect(run.code).toBe(0)
    const id = run.stdout.trim().split('\n').pop()!
    const line = await waitFor('HEALTH healthy in meso task list', async () => {
      const list = await meso(['task', 'list', '--master', master])
      return list.stdout.split('\n').find(l => l.startsWith(id) && /\bhealthy\b/.test(l))
    }, 60_000, 500)
    expect(line).toContain('TASK_RUNNING')
    const header = (await meso(['task', 'list', '--master', master])).stdout.split('\n')[0]!
    expect(header).toMatch(/^ID\s+NAME\s+STATE\s+HEALTH\s+IP/)
    const json = JSON.parse((await meso(['task', 'list', '--master', master, '--json'])).stdout) as any[]
    expect(json.find(t => t.id === id)?.healthy).toBe(true)
    expect(json.find(t => t.id === 'tcp-closed')?.healthy).toBeUndefined()
    // A task killed by its health check stays unhealthy in the list of completed tasks.
    const all = await meso(['task', 'list', '--master', master, '--all'])
    expect(all.stdout.split('\n').find(l => l.startsWith('sick '))).toMatch(/TASK_KILLED\s+unhealthy/)
    await meso(['task', 'kill', '--master', master, id])
  }, 120_000)
})

const linuxProblem = linuxLauncherUnavailable({}) ?? cniUnavailable()

describe.skipIf(!!linuxProblem)(`health checks and checks (linux launcher, CNI network)${linuxProblem ? ` — skipped: ${linuxProblem}` : ''}`, () => {
  let cluster: OneAgentCluster
  let net: TestNetwork
  const h = helpers(() => cluster)

  beforeAll(async () => {
    const dir = tempDir()
    net = createTestNetwork(dir)
    cluster = await startOneAgentCluster(dir, ['--launcher=linux', `--isolation=${DEFAULT_LINUX_ISOLATION},network/cni`, ...net.agentFlags, '--resources=cpus:4;mem:2048'], 'health-linux')
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
    net?.cleanup()
  })

  test("HTTP health check and TCP check reach a server on the container's own 127.0.0.1", async () => {
    await cluster.launch(agentId => [
      task('netns-web', agentId, `exec ${PYTHON} -m http.server 8080 --bind 127.0.0.1`, {
        container: { type: 'MESOS', network_infos: [{ name: net.name }] },
        health_check: { type: 'HTTP', http: { port: 8080, path: '/' }, ...fast, grace_period_seconds: 30 },
        check: { type: 'TCP', tcp: { port: 8080 }, ...fast },
      }),
    ], { cpus: 0.1, mem: 32 })
    await h.running('netns-web')
    expect((await h.healthUpdate('netns-web', true)).state).toBe('TASK_RUNNING')
    await h.checkUpdate('netns-web', cs => cs?.tcp?.succeeded === true)
    await cluster.sched.call('KILL', { kill: { task_id: { value: 'netns-web' } } })
    expect((await cluster.terminal('netns-web')).update.status.state).toBe('TASK_KILLED')
  }, 120_000)

  test('COMMAND health checks run inside the container; failing ones kill the task', async () => {
    await cluster.launch(agentId => [
      // The sandbox is at /mnt/mesos/sandbox only inside the container.
      task('inside', agentId, 'touch inside-only && exec sleep 600', {
        health_check: { type: 'COMMAND', command: { value: 'test -f /mnt/mesos/sandbox/inside-only' }, ...fast, grace_period_seconds: 30 },
      }),
      task('sick-linux', agentId, 'exec sleep 600', { health_check: { type: 'COMMAND', command: { value: 'exit 1' }, ...fast, grace_period_seconds: 0, consecutive_failures: 2 } }),
    ], { cpus: 0.2, mem: 64 })
    expect((await h.healthUpdate('inside', true)).state).toBe('TASK_RUNNING')
    await expectKilledByHealthCheck(cluster, 'sick-linux')
    await cluster.sched.call('KILL', { kill: { task_id: { value: 'inside' } } })
    await cluster.terminal('inside')
  }, 120_000)

  test("a task group's task is health checked in its nested container", async () => {
    const cpus = (o: any) => o.resources.filter((r: any) => r.name === 'cpus').reduce((n: number, r: any) => n + r.scalar.value, 0)
    // Offers held now come back as one new offer, with room for the executor and the task.
    const since = cluster.sched.events.length
    const held = cluster.sched.events.filter(e => e.type === 'OFFERS').flatMap(e => e.offers.offers.map((o: any) => o.id))
    await cluster.sched.call('DECLINE', { decline: { offer_ids: held, filters: { refuse_seconds: 0 } } })
    const offer = await cluster.sched.next(e => e.type === 'OFFERS' && cpus(e.offers.offers[0]) >= 0.2 - 1e-9, 30_000, since)
    const o = offer.offers.offers[0]
    const executor = { type: 'DEFAULT', executor_id: { value: 'group-exec' }, resources: res }
    const t = task('grouped', o.agent_id.value, 'exec sleep 600', { health_check: { type: 'COMMAND', command: { value: 'true' }, ...fast } })
    const r = await cluster.sched.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [t] } } }], filters: { refuse_seconds: 0 } } })
    expect(r.status).toBe(202)
    const grouped = await h.healthUpdate('grouped', true).catch(err => { throw new Error(`${err.message}\n${JSON.stringify(cluster.sched.updates('grouped'))}`) })
    expect(grouped.state).toBe('TASK_RUNNING')
    await cluster.sched.call('KILL', { kill: { task_id: { value: 'grouped' } } })
    expect((await cluster.terminal('grouped')).update.status.state).toBe('TASK_KILLED')
  }, 120_000)
})

// Maintenance and drain end to end: a real master, a real agent (posix launcher) and a raw scheduler with a running
// task. A window on the agent's host brings inverse offers and offers with `unavailability`; the framework's DECLINE
// shows in the status; /machine/down takes the agent away (task LOST, its process really gone, the agent exits and
// is refused until /machine/up); DRAIN_AGENT kills the task and reaches DRAINED; MARK_AGENT_GONE really stops the
// task's process and no unreachable FAILURE follows.

import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { commandTask, frameworkInfo, RawScheduler, type Event } from '../helpers/raw-scheduler.ts'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const HOST = 'maint-host'
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c().catch(() => {}) })

const op = async (base: string, body: unknown) => {
  const r = await fetch(`${base}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) })
  const text = await r.text()
  return { status: r.status, body: text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text }
}
const post = async (url: string, body: unknown) => {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  return { status: r.status, text: await r.text() }
}
const alive = (pid: number) => { try { process.kill(pid, 0); return true } catch { return false } }
const exited = (d: Daemon, ms: number) => Promise.race([d.proc.exited.then(code => ({ code })), Bun.sleep(ms).then(() => undefined)])

/**
 * A master, an agent on HOST and a raw scheduler running one task. With the posix launcher the task writes its pid
 * to a file (`pid`); in a crun container its pid is 1 in its own namespace, so there is none.
 */
async function clusterWithTask(masterFlags: string[] = [], extraAgentFlags: string[] = []) {
  const dir = tempDir('meso-maint-')
  const master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms', ...masterFlags])
  const agentDir = join(dir, 'agent')
  const agentFlags = [`--hostname=${HOST}`, '--resources=cpus:2;mem:1024', ...extraAgentFlags]
  const posix = !extraAgentFlags.includes('--launcher=linux')
  const agent = await startAgent(master.url, agentDir, agentFlags)
  const sched = new RawScheduler(master.url)
  cleanups.push(async () => { sched.close(); await agent.kill().catch(() => {}); await master.kill() })
  await sched.subscribe(frameworkInfo('maint'))
  const offers = await sched.next(e => e.type === 'OFFERS', 30_000)
  const offer = offers.offers.offers[0]
  const agentId: string = offer.agent_id.value
  const pidFile = join(dir, 'task.pid')
  const r = await sched.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
    commandTask('t1', agentId, posix ? `echo $$ > ${pidFile}; exec sleep 600` : 'exec sleep 600'),
  ] } }], filters: { refuse_seconds: 0 } } })
  expect(r.status).toBe(202)
  await sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 't1' && e.update.status.state === 'TASK_RUNNING', 30_000)
  const pid = posix ? Number(await waitFor('the task pid file', () => { try { return readFileSync(pidFile, 'utf8').trim() } catch { return undefined } })) : 0
  if (posix) expect(alive(pid)).toBe(true)
  return { dir, master, agent, agentDir, agentFlags, sched, agentId, pid }
}

const update = (sched: RawScheduler, taskId: string, pred: (s: any) => boolean, ms = 30_000): Promise<Event> =>
  sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === taskId && pred(e.update.status), ms)

describe('maintenance', () => {
  test('schedule → inverse offers and unavailability; DECLINE in the status; down removes the agent until up', async () => {
    const { master, agent, agentDir, agentFlags, sched, agentId, pid } = await clusterWithTask()
    const base = master.url

    // A window an hour from now, through the CLI.
    const sch = await meso(['agent', 'maintenance', 'schedule', '--master', base, '--machine', HOST, '--start', '+1h', '--duration', '2h'])
    expect(sch.stderr).toBe('')
    expect(sch.code).toBe(0)
    const inverse = await sched.next(e => e.type === 'INVERSE_OFFERS', 20_000)
    const io = inverse.inverse_offers.inverse_offers[0]
    expect(io).toMatchObject({ framework_id: { value: sched.frameworkId }, agent_id: { value: agentId } })
    expect(Number(io.unavailability.duration.nanoseconds)).toBe(2 * 3600 * 1e9)
    const withUnavailability = await sched.next(e => e.type === 'OFFERS' && !!e.offers.offers[0].unavailability, 20_000)
    expect(withUnavailability.offers.offers[0].unavailability).toEqual(io.unavailability)
    const shown = await meso(['agent', 'maintenance', 'show', '--master', base, '--json'])
    expect(JSON.parse(shown.stdout).windows[0].machine_ids).toEqual([{ hostname: HOST }])

    expect((await sched.call('DECLINE_INVERSE_OFFERS', { decline_inverse_offers: { inverse_offer_ids: [io.id], filters: { refuse_seconds: 3600 } } })).status).toBe(202)
    const status = await waitFor('the DECLINE in the maintenance status', async () => {
      const s = await (await fetch(`${base}/master/maintenance/status`)).json() as any
      return s.draining_machines?.[0]?.statuses?.length ? s : undefined
    })
    expect(status.draining_machines[0]).toMatchObject({ id: { hostname: HOST }, statuses: [{ status: 'DECLINE', framework_id: { value: sched.frameworkId } }] })
    const v1 = await op(base, { type: 'GET_MAINTENANCE_STATUS' })
    expect(v1.body.get_maintenance_status.status.draining_machines[0].statuses[0].status).toBe('DECLINE')

    // Down: the task is lost, the agent is told to shut down, kills it and exits.
    expect(await post(`${base}/master/machine/down`, [{ hostname: HOST }])).toEqual({ status: 200, text: '' })
    const lost = await update(sched, 't1', s => s.state === 'TASK_LOST')
    expect(lost.update.status).toMatchObject({ reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER' })
    expect(await exited(agent, 30_000)).toEqual({ code: 1 })
    await waitFor('the task process to be gone', () => !alive(pid), 20_000)
    expect((await op(base, { type: 'GET_AGENTS' })).body.get_agents.agents ?? []).toEqual([])
    const down = await meso(['agent', 'maintenance', 'status', '--master', base, '--json'])
    expect(JSON.parse(down.stdout).down_machines).toEqual([{ hostname: HOST }])

    // While the machine is DOWN the agent is refused and exits again.
    const refused = await startAgent(master.url, agentDir, agentFlags)
    cleanups.push(() => refused.kill())
    expect(await exited(refused, 30_000)).toEqual({ code: 1 })
    expect(refused.log()).toContain('Machine is `DOWN`')

    // Up: the machine leaves the schedule and the agent registers anew.
    const up = await meso(['agent', 'maintenance', 'up', '--master', base, HOST])
    expect(up.code).toBe(0)
    expect((await op(base, { type: 'GET_MAINTENANCE_SCHEDULE' })).body.get_maintenance_schedule.schedule).toEqual({})
    const back = await startAgent(master.url, agentDir, agentFlags)
    cleanups.push(() => back.kill())
    const agents = await waitFor('the agent to register again', async () => {
      const a = (await op(base, { type: 'GET_AGENTS' })).body.get_agents.agents
      return a?.length ? a : undefined
    })
    expect(agents[0].agent_info.hostname).toBe(HOST)
    expect(agents[0].agent_info.id.value).not.toBe(agentId)
  }, 180_000)
})

describe('drain and gone', () => {
  test('DRAIN_AGENT kills the task and reaches DRAINED; REACTIVATE; MARK_AGENT_GONE stops the task with no FAILURE after', async () => {
    const { dir, master, agent, sched, agentId, pid } = await clusterWithTask(['--agent_ping_timeout=1secs', '--max_agent_ping_timeouts=2'])
    const base = master.url

    const drained = await meso(['agent', 'drain', agentId.slice(0, -1), '--master', base, '--grace', '2s'], { timeoutMs: 60_000 })
    expect(drained.stderr).toContain(`agent ${agentId} (${HOST}) is draining`)
    expect(drained.stdout).toBe(`agent ${agentId} drained\n`)
    expect(drained.code).toBe(0)
    const killed = await update(sched, 't1', s => s.state === 'TASK_KILLED')
    expect(killed.update.status.reason).toBe('REASON_AGENT_DRAINING')
    expect(alive(pid)).toBe(false)
    let a = (await op(base, { type: 'GET_AGENTS' })).body.get_agents.agents[0]
    expect(a).toMatchObject({ active: false, deactivated: true, drain_info: { state: 'DRAINED', config: { mark_gone: false, max_grace_period: { nanoseconds: 2e9 } } } })
    const v0 = await (await fetch(`${base}/master/slaves`)).json() as any
    expect(v0.slaves[0].drain_info.state).toBe('DRAINED')

    const beforeReactivation = sched.events.length
    expect((await meso(['agent', 'reactivate', HOST, '--master', base])).code).toBe(0)
    a = (await op(base, { type: 'GET_AGENTS' })).body.get_agents.agents[0]
    expect(a.active).toBe(true)
    expect(a.drain_info).toBeUndefined()

    // A second task, then the agent is marked gone: its process must not survive.
    const offer = await sched.next(e => e.type === 'OFFERS', 20_000, beforeReactivation)
    const pidFile = join(dir, 'task2.pid')
    await sched.call('ACCEPT', { accept: { offer_ids: [offer.offers.offers[0].id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
      commandTask('t2', agentId, `echo $$ > ${pidFile}; exec sleep 600`),
    ] } }] } })
    await update(sched, 't2', s => s.state === 'TASK_RUNNING')
    const pid2 = Number(await waitFor('the second pid file', () => { try { return readFileSync(pidFile, 'utf8').trim() } catch { return undefined } }))
    expect((await op(base, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } })).status).toBe(200)
    const gone = await update(sched, 't2', s => s.state === 'TASK_GONE_BY_OPERATOR')
    expect(gone.update.status.reason).toBe('REASON_AGENT_REMOVED_BY_OPERATOR')
    expect(await exited(agent, 30_000)).toEqual({ code: 1 })
    await waitFor('the gone agent\'s task process to be gone', () => !alive(pid2), 20_000)
    const failures = () => sched.events.filter(e => e.type === 'FAILURE' && e.failure.agent_id?.value === agentId && !e.failure.executor_id).length
    expect(failures()).toBe(1)
    // Well past the ping timeouts (1s × 2): nothing unreachable follows.
    await Bun.sleep(4_000)
    expect(failures()).toBe(1)
    expect(sched.updates('t2').some(s => s.state === 'TASK_UNREACHABLE')).toBe(false)
    expect(agent.log()).toContain('Agent has been marked gone by an operator')
  }, 180_000)
})

const linuxProblem = linuxLauncherUnavailable({})
;(linuxProblem ? describe.skip : describe)('gone agent with crun containers', () => {
  test('MARK_AGENT_GONE: the container, its conmon and its cgroups are gone from the host; a restart registers anew', async () => {
    const { master, agent, agentDir, agentFlags, sched, agentId } = await clusterWithTask([], ['--launcher=linux'])
    const root = join(agentDir, 'run', 'oci')
    const containers = () => JSON.parse(Bun.spawnSync(['crun', `--root=${root}`, 'list', '--format=json']).stdout.toString() || '[]') as { id: string; pid: number }[]
    const [container] = containers()
    expect(container).toBeDefined()
    const conmons = () => Bun.spawnSync(['pgrep', '-f', `conmon.*${container!.id}`]).stdout.toString().trim()
    expect(conmons()).not.toBe('')
    expect(alive(container!.pid)).toBe(true)

    expect((await op(master.url, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } })).status).toBe(200)
    await update(sched, 't1', s => s.state === 'TASK_GONE_BY_OPERATOR')
    expect(await exited(agent, 60_000)).toEqual({ code: 1 })
    expect(containers()).toEqual([])
    expect(conmons()).toBe('')
    expect(alive(container!.pid)).toBe(false)
    for (const cg of [`/sys/fs/cgroup/memory/meso/${container!.id}`, `/sys/fs/cgroup/meso/${container!.id}`]) expect(existsSync(cg)).toBe(false)

    // Its checkpoint was cleared: a restart registers a new agent and adopts nothing.
    const again = await startAgent(master.url, agentDir, agentFlags)
    cleanups.push(() => again.kill())
    const agents = await waitFor('a new agent', async () => {
      const a = (await op(master.url, { type: 'GET_AGENTS' })).body.get_agents.agents
      return a?.length ? a : undefined
    })
    expect(agents[0].agent_info.id.value).not.toBe(agentId)
    expect(again.log()).not.toContain('has been marked gone')
  }, 180_000)
})

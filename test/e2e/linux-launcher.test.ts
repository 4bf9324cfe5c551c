// Tasks in real crun containers under conmon: cgroup limits, rlimits, OOM kills, pids limits, statistics,
// recovery after kill -9, cleanup mode, orphans, and refusing an incompatible checkpoint.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { recoveryScenario } from '../helpers/recovery.ts'

const problem = linuxLauncherUnavailable({})
if (problem) console.warn(`\n*** SKIPPING linux launcher tests: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

const daemons: Daemon[] = []
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

suite('tasks in crun containers', () => {
  let master: Daemon
  let agent: Daemon
  beforeAll(async () => {
    const dir = tempDir()
    master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    agent = await startAgent(master.url, `${dir}/agent`, ['--launcher=linux', '--resources=cpus:2;mem:2048', '--container_pids_limit=40', '--cgroups_enable_cfs'])
    daemons.push(master, agent)
  })
  const run = (args: string[], cmd: string[]) => meso(['task', 'run', `--master=${master.url}`, ...args, '--', ...cmd])

  test('the task sees its own cgroup, memory limit, CPU quota and read-only host root', async () => {
    const r = await run(['--mem=64', '--cpus=0.5'], ['sh', '-c', 'grep memory /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us; pwd; echo $MESOS_SANDBOX; touch /etc/nope 2>/dev/null || echo read-only; echo ok > /tmp/t && cat /tmp/t'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/memory:\/meso\/[0-9a-f-]{36}$/)
    expect(lines[1]).toBe(String(64 * 1024 * 1024))
    expect(lines[2]).toBe('50000')
    expect(lines.slice(3)).toEqual(['/mnt/mesos/sandbox', '/mnt/mesos/sandbox', 'read-only', 'ok'])
  })

  test('--rlimit sets soft and hard limits', async () => {
    const r = await run(['--rlimit=NOFILE=1024:4096', '--rlimit=CORE=0'], ['sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -c'])
    expect(r.stdout).toBe('1024\n4096\n0\n')
  })

  test('invalid rlimits are TASK_ERROR from the master; unraisable ones fail the launch with the reason', async () => {
    const bad = await run(['--rlimit=NOFILE=10:5'], ['true'])
    expect(bad.code).toBe(125)
    expect(bad.stderr).toContain('TASK_ERROR')
    expect(bad.stderr).toContain('greater than its hard limit')
  })

  test('a task over its memory limit is OOM-killed: TASK_FAILED, SOURCE_AGENT, REASON_CONTAINER_LIMITATION_MEMORY', async () => {
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('oom'))
    const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [
      commandTask('hog', o.agent_id.value, '/usr/bin/python3 -c "x = bytearray(300 * 1024 * 1024)"', { cpus: 0.1, mem: 32 }),
    ] } }] } })
    const f = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_FAILED')
    expect(f.update.status).toMatchObject({ source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LIMITATION_MEMORY' })
    expect(f.update.status.message).toContain('Memory limit exceeded')
    expect(f.update.status.limitation.resources[0]).toMatchObject({ name: 'mem', scalar: { value: 32 } })
    await s.call('TEARDOWN')
    s.close()
    const cli = await run(['--mem=32'], ['/usr/bin/python3', '-c', 'x = bytearray(300 * 1024 * 1024)'])
    expect(cli.code).toBe(137)
  })

  test('the pids limit stops a fork bomb inside the container (forks fail; the agent and later tasks are fine)', async () => {
    // 100 background processes against a limit of 40: forks fail, the container survives, and once they end
    // the shell can fork again.
    const r = await run([], ['sh', '-c', 'read m < /sys/fs/cgroup/pids/pids.max; echo $m; for i in $(seq 100); do sleep 1 & done; wait'])
    expect(r.stdout.trim()).toBe('40')
    expect(r.stderr).toMatch(/Cannot fork|can't fork|Resource temporarily unavailable/i)
    expect((await run([], ['true'])).code).toBe(0)
  })

  test('statistics come from the cgroup (GET_CONTAINERS, /monitor/statistics)', async () => {
    const d = await run(['--detach', '--name=stats', '--mem=48', '--cpus=0.25'], ['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 60'])
    expect(d.code).toBe(0)
    const c = await waitFor('cpu time', async () => {
      const r = await fetch(`${agent.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'GET_CONTAINERS' }) })
      const list = ((await r.json()) as any).get_containers.containers
      const c = list.find((x: any) => x.executor_id.value === d.stdout.trim())
      return c?.resource_statistics?.cpus_user_time_secs > 0 ? c : undefined
    })
    const st = c.resource_statistics
    expect(st.mem_limit_bytes).toBe(48 * 1024 * 1024)
    expect(st.cpus_limit).toBe(0.25)
    expect(st.mem_rss_bytes).toBeGreaterThan(0)
    expect(st.processes).toBeGreaterThanOrEqual(1)
    const mon = (await (await fetch(`${agent.url}/monitor/statistics`)).json()) as any[]
    expect(mon.find(m => m.executor_id === d.stdout.trim()).statistics.mem_limit_bytes).toBe(48 * 1024 * 1024)
    expect((await meso(['task', 'kill', `--master=${master.url}`, 'stats'])).code).toBe(0)
  })

  test('container runtime state is cleaned up when tasks end', async () => {
    await run([], ['true'])
    const dir = join((await (await fetch(`${agent.url}/flags`)).json() as any).flags.work_dir, 'run')
    await waitFor('no bundles left', async () => {
      const state = (await (await fetch(`${agent.url}/state`)).json()) as any
      const running = state.frameworks.flatMap((f: any) => f.executors.map((e: any) => e.container))
      const { readdirSync } = await import('node:fs')
      return readdirSync(join(dir, 'containers')).every(id => running.includes(id))
    })
    expect(existsSync('/sys/fs/cgroup/memory/meso')).toBe(true)
  })
})

suite('recovery with the linux launcher', () => {
  test('20 running tasks survive kill -9 of the agent with the same pids; exits and kills while down reported once', async () => {
    await recoveryScenario(['--launcher=linux'], 20, daemons)
  }, 180_000)

  test('--recover=cleanup kills re-adopted tasks and reports them', async () => {
    const dir = tempDir()
    const master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    daemons.push(master)
    const flags = ['--launcher=linux', '--resources=cpus:1;mem:512', '--registration_backoff_factor=100ms']
    let agent = await startAgent(master.url, `${dir}/agent`, flags)
    daemons.push(agent)
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('cleanup', { capabilities: [{ type: 'MULTI_ROLE' }] }))
    const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('c1', o.agent_id.value, 'sleep 300')] } }] } })
    await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
    await agent.kill('SIGKILL')
    agent = await startAgent(master.url, `${dir}/agent`, [...flags, '--recover=cleanup'])
    daemons.push(agent)
    const lost = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'c1' && e.update.status.state === 'TASK_LOST', 20_000)
    expect(lost.update.status).toMatchObject({ reason: 'REASON_AGENT_RESTARTED', source: 'SOURCE_AGENT' })
    await s.call('TEARDOWN')
    s.close()
  })

  test('an agent restarted with different --resources refuses its checkpoint unless --strict=false', async () => {
    const dir = tempDir()
    const master = await startMaster(`${dir}/master`)
    daemons.push(master)
    const agent = await startAgent(master.url, `${dir}/agent`, ['--launcher=linux', '--resources=cpus:1;mem:512'])
    daemons.push(agent)
    await waitFor('registration', async () => ((await (await fetch(`${agent.url}/state`)).json()) as any).id)
    await agent.kill('SIGKILL')
    await expect(startAgent(master.url, `${dir}/agent`, ['--launcher=linux', '--resources=cpus:2;mem:512'])).rejects.toThrow('Incompatible agent info')
    const relaxed = await startAgent(master.url, `${dir}/agent`, ['--launcher=linux', '--resources=cpus:2;mem:512', '--no-strict'])
    daemons.push(relaxed)
    await waitFor('a new registration', async () => ((await (await fetch(`${relaxed.url}/state`)).json()) as any).id)
  })

  test('containers on disk that the checkpoint does not know are destroyed at start', async () => {
    const dir = tempDir()
    const master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    daemons.push(master)
    const flags = ['--launcher=linux', '--resources=cpus:1;mem:512']
    let agent = await startAgent(master.url, `${dir}/agent`, flags)
    daemons.push(agent)
    const d = await meso(['task', 'run', `--master=${master.url}`, '--detach', '--', 'sleep', '300'])
    expect(d.code).toBe(0)
    const root = join(dir, 'agent', 'run', 'oci')
    const list = () => JSON.parse(Bun.spawnSync(['crun', `--root=${root}`, 'list', '--format=json']).stdout.toString() || '[]') as { id: string }[]
    const [orphan] = list()
    expect(orphan).toBeDefined()
    // The agent dies and its checkpoint is lost: the container (under conmon) is now unknown to anyone.
    await agent.kill('SIGKILL')
    rmSync(join(dir, 'agent', 'meta'), { recursive: true, force: true })
    agent = await startAgent(master.url, `${dir}/agent`, flags)
    daemons.push(agent)
    expect(agent.log()).toContain(`Destroyed orphan container ${orphan!.id}`)
    expect(list()).toEqual([])
    expect(existsSync(`/sys/fs/cgroup/memory/meso/${orphan!.id}`)).toBe(false)
  })
})

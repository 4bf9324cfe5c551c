// An agent killed with -9 comes back with the same id and re-adopts its running tasks; exits and kills that
// happened while it was down are reported with their true outcome; a silent agent becomes unreachable.

import { afterAll, describe, expect, test } from 'bun:test'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const daemons: Daemon[] = []
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

const containers = async (agentUrl: string) => {
  const r = await fetch(`${agentUrl}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'GET_CONTAINERS' }) })
  return ((await r.json()) as any).get_containers.containers as any[]
}

export async function recoveryScenario(extraAgentFlags: string[], taskCount: number) {
  const dir = tempDir()
  const master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
  daemons.push(master)
  const agentFlags = ['--resources=cpus:8;mem:8192', '--registration_backoff_factor=100ms', ...extraAgentFlags]
  let agent = await startAgent(master.url, `${dir}/agent`, agentFlags)
  daemons.push(agent)
  const s = new RawScheduler(master.url)
  await s.subscribe(frameworkInfo('recovery'))
  const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
  const tasks = Array.from({ length: taskCount }, (_, i) => commandTask(`long-${i}`, o.agent_id.value, 'sleep 300', { cpus: 0.05, mem: 8 }))
  tasks.push(commandTask('exits-while-down', o.agent_id.value, 'sleep 2; exit 5', { cpus: 0.05, mem: 8 }))
  tasks.push(commandTask('killed-while-down', o.agent_id.value, 'sleep 300', { cpus: 0.05, mem: 8 }))
  await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }] } })
  await waitFor('all tasks running', () => tasks.every(t => s.updates((t as any).task_id.value).some(u => u.state === 'TASK_RUNNING')), 60_000)
  const pidsBefore = new Map((await containers(agent.url)).map(c => [c.executor_id.value, c.container_status.executor_pid]))
  expect(pidsBefore.size).toBe(tasks.length)

  await agent.kill('SIGKILL')
  // While the agent is down: one task is killed through the API, another exits by itself.
  await s.call('KILL', { kill: { task_id: { value: 'killed-while-down' } } })
  await Bun.sleep(2500)

  agent = await startAgent(master.url, `${dir}/agent`, [...agentFlags, `--port=${new URL(agent.url).port}`])
  daemons.push(agent)
  const failed = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'exits-while-down' && e.update.status.state === 'TASK_FAILED', 30_000)
  expect(failed.update.status.message).toBe('Command exited with status 5')
  await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'killed-while-down' && e.update.status.state === 'TASK_KILLED', 30_000)

  const after = await containers(agent.url)
  for (let i = 0; i < taskCount; i++) {
    const c = after.find(c => c.executor_id.value === `long-${i}`)
    expect(c?.container_status.executor_pid).toBe(pidsBefore.get(`long-${i}`))
  }
  const state = await (await fetch(`${master.url}/master/state`)).json() as any
  const fw = state.frameworks.find((f: any) => f.name === 'recovery')
  expect(fw.tasks.filter((t: any) => t.state === 'TASK_RUNNING').length).toBe(taskCount)
  expect(state.slaves[0].id).toBe(o.agent_id.value)
  // No duplicate and no lost updates: every task saw each state at most once, in order.
  for (const t of tasks) {
    const states = s.updates((t as any).task_id.value).map(u => u.state)
    expect(`${(t as any).task_id.value}: ${states.join(",")}`).toBe(`${(t as any).task_id.value}: ${[...new Set(states)].join(",")}`)
  }
  await s.call('TEARDOWN')
  s.close()
  return { master, agent }
}

describe('posix launcher', () => {
  test('kill -9 of the agent: same id, same pids, exits and kills while down reported once', async () => {
    await recoveryScenario(['--launcher=posix'], 5)
  })
})

describe('unreachable agents', () => {
  test('an agent that stops answering pings becomes unreachable; its tasks come back when it does', async () => {
    const dir = tempDir()
    const master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms', '--agent_ping_timeout=200ms', '--max_agent_ping_timeouts=2'])
    daemons.push(master)
    const agent = await startAgent(master.url, `${dir}/agent`, ['--resources=cpus:1;mem:256', '--registration_backoff_factor=100ms'])
    daemons.push(agent)
    const pa = new RawScheduler(master.url)
    await pa.subscribe(frameworkInfo('partition-aware'))
    const o = (await pa.next(e => e.type === 'OFFERS')).offers.offers[0]
    await pa.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('p1', o.agent_id.value, 'sleep 300')] } }] } })
    await pa.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
    agent.proc.kill('SIGSTOP')
    const unreachable = await pa.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_UNREACHABLE', 15_000)
    expect(unreachable.update.status).toMatchObject({ reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER' })
    expect(unreachable.update.status.unreachable_time.nanoseconds).toBeGreaterThan(0)
    await pa.next(e => e.type === 'FAILURE' && e.failure.agent_id.value === o.agent_id.value)
    const m = (await (await fetch(`${master.url}/metrics/snapshot`)).json()) as any
    expect(m['master/slaves_unreachable']).toBe(1)
    agent.proc.kill('SIGCONT')
    const back = await pa.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'p1' && e.update.status.reason === 'REASON_AGENT_REREGISTERED', 20_000)
    expect(back.update.status.state).toBe('TASK_RUNNING')
    await pa.call('TEARDOWN')
    pa.close()
  })
})

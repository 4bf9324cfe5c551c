// The agent-recovery scenario shared by the posix and linux launcher tests: N long tasks, kill -9 of the agent,
// one task killed and one exiting while it is down, restart, and checks that nothing is lost or duplicated.

import { expect } from 'bun:test'
import { commandTask, frameworkInfo, RawScheduler } from './raw-scheduler.ts'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from './processes.ts'

const containers = async (agentUrl: string) => {
  const r = await fetch(`${agentUrl}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'GET_CONTAINERS' }) })
  return ((await r.json()) as any).get_containers.containers as any[]
}

export async function recoveryScenario(extraAgentFlags: string[], taskCount: number, daemons: Daemon[]) {
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


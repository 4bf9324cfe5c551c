// A task ends once: whichever way it goes (teardown, kill, agent gone, an agent retrying its updates), the master
// lists it in exactly one place, once, and counts it once in /metrics/snapshot (issue 17 item 7).

import { describe, expect, test } from 'bun:test'
import type { Task } from '../../src/core/v1/messages.ts'
import type { Framework } from '../../src/master/framework.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { masterMetrics } from '../../src/master/metrics-snapshot.ts'
import type { RegisteredAgent } from '../../src/master/registered-agent.ts'
import { getTasks } from '../../src/master/views-v1.ts'

const AUTO_TEARDOWN = { labels: { labels: [{ key: 'meso.io/auto-teardown', value: 'idle' }] } }

/** One agent, one framework that launched `task-0` (and `task-1` when `tasks` is 2), both RUNNING. */
function running(info: Record<string, unknown> = {}, tasks = 1) {
  const h = new MasterHarness()
  const { agent, link } = h.registerAgent('cpus:4;mem:4096')
  const { framework: fw } = h.subscribe({ failover_timeout: 600, checkpoint: true, ...info })
  h.allocate()
  h.launch(fw, h.offersFor(fw)[0]!, Array.from({ length: tasks }, () => ({})))
  for (let i = 0; i < tasks; i++) {
    h.status(agent, fw, `task-${i}`, 'TASK_RUNNING', `run-${i}`)
    h.master.acknowledge(fw, agent.id, `task-${i}`, `run-${i}`)
  }
  return { h, agent, link, fw }
}

/** The invariants: each task listed once, never both active and completed; frameworks completed once; gauges agree. */
function expectTerminalOnce(h: MasterHarness, fw: Framework, ended: Record<string, Task['state']>) {
  const frameworks = [...h.state.frameworks.keys(), ...h.state.completedFrameworks.map(f => f.id)]
  expect(frameworks.filter(id => id === fw.id)).toHaveLength(1)
  const seen = new Map<string, number>()
  for (const { task } of h.state.allTasks({ completed: true })) seen.set(task.task_id.value, (seen.get(task.task_id.value) ?? 0) + 1)
  for (const [id, n] of seen) expect(`${id}: ${n}`).toBe(`${id}: 1`)
  for (const [id, state] of Object.entries(ended)) {
    expect(fw.tasks.has(id)).toBe(false)
    expect(fw.unreachableTasks.has(id)).toBe(false)
    expect(fw.completedTasks.filter(t => t.task_id.value === id).map(t => t.state)).toEqual([state])
  }
  const metrics = masterMetrics(h.state, 0, h.now)
  const byState = new Map<string, number>()
  for (const state of Object.values(ended)) byState.set(state, (byState.get(state) ?? 0) + 1)
  for (const [state, n] of byState) expect(metrics[`master/tasks_${state.slice(5).toLowerCase()}`]).toBe(n)
  // GET_TASKS / v1 state: never in both `tasks` and `completed_tasks`.
  const v1 = getTasks(h.state)
  const active = new Set([...v1.tasks, ...v1.unreachable_tasks].map(t => t.task_id.value))
  const completed = v1.completed_tasks.map(t => t.task_id.value)
  expect(completed.filter(id => active.has(id))).toEqual([])
  expect(new Set(completed).size).toBe(completed.length)
}

describe('a task is terminal once', () => {
  test('operator TEARDOWN of a disconnected meso task run framework (auto-teardown label)', () => {
    const { h, agent, fw } = running(AUTO_TEARDOWN)
    h.disconnect(fw)
    h.master.teardown(fw)
    expect(h.state.completedFrameworks.filter(f => f === fw)).toHaveLength(1)
    expect(h.messagesTo(agent, 'SHUTDOWN_FRAMEWORK')).toHaveLength(1)
    expect(h.persisted.filter(op => op.op === 'removeFramework')).toHaveLength(1)
    expect(h.state.metrics.counters.get('master/frameworks_removed')).toBe(1)
    expectTerminalOnce(h, fw, { 'task-0': 'TASK_KILLED' })
    // The agent's own TASK_KILLED for the removed framework changes nothing.
    h.status(agent, fw, 'task-0', 'TASK_KILLED', 'killed-0')
    expectTerminalOnce(h, fw, { 'task-0': 'TASK_KILLED' })
  })

  test('TEARDOWN of a connected framework with two tasks', () => {
    const { h, fw } = running({}, 2)
    h.master.teardown(fw)
    expectTerminalOnce(h, fw, { 'task-0': 'TASK_KILLED', 'task-1': 'TASK_KILLED' })
  })

  test('failover timeout of an auto-teardown framework whose task is still running', () => {
    const { h, fw } = running({ ...AUTO_TEARDOWN, failover_timeout: 10 })
    h.disconnect(fw)
    h.advance(10_000)
    expect(h.state.frameworks.has(fw.id)).toBe(false)
    expectTerminalOnce(h, fw, { 'task-0': 'TASK_KILLED' })
  })

  test('KILL: the agent reports TASK_KILLED, retries it, the framework acknowledges, the retry comes again', () => {
    const { h, agent, fw } = running()
    h.master.kill(fw, 'task-0', agent.id)
    h.status(agent, fw, 'task-0', 'TASK_KILLED', 'k1')
    h.status(agent, fw, 'task-0', 'TASK_KILLED', 'k1') // retry before the ack arrived
    const task = fw.tasks.get('task-0')!
    expect(task.statuses!.map(s => s.state)).toEqual(['TASK_RUNNING', 'TASK_KILLED'])
    h.master.acknowledge(fw, agent.id, 'task-0', 'k1')
    h.status(agent, fw, 'task-0', 'TASK_KILLED', 'k1') // retry after the ack: acknowledged again, not re-added
    expect(h.messagesTo(agent, 'ACKNOWLEDGE').filter(m => m.type === 'ACKNOWLEDGE' && m.uuid === 'k1').length).toBeGreaterThanOrEqual(2)
    expectTerminalOnce(h, fw, { 'task-0': 'TASK_KILLED' })
  })

  test('a late update cannot move a terminal task to another state', () => {
    const { h, agent, fw } = running()
    h.status(agent, fw, 'task-0', 'TASK_FINISHED', 'f1')
    h.status(agent, fw, 'task-0', 'TASK_FAILED', 'x1')
    expect(fw.tasks.get('task-0')!.state).toBe('TASK_FINISHED')
    h.master.acknowledge(fw, agent.id, 'task-0', 'x1')
    expectTerminalOnce(h, fw, { 'task-0': 'TASK_FINISHED' })
  })

  test('agent marked gone: TASK_LOST once, also for an auto-teardown framework that goes with it', () => {
    const plain = running()
    plain.h.master.markAgentGone(plain.agent)
    expectTerminalOnce(plain.h, plain.fw, { 'task-0': 'TASK_LOST' })

    const auto = running(AUTO_TEARDOWN, 2)
    auto.h.disconnect(auto.fw)
    auto.h.master.markAgentGone(auto.agent)
    expect(auto.h.state.frameworks.has(auto.fw.id)).toBe(false)
    expectTerminalOnce(auto.h, auto.fw, { 'task-0': 'TASK_LOST', 'task-1': 'TASK_LOST' })
  })

  test('agent unreachable, then the framework is torn down: its unreachable task ends killed, once', () => {
    const { h, agent, link, fw } = running({ capabilities: [{ type: 'PARTITION_AWARE' }] })
    h.master.agentDisconnected(agent as RegisteredAgent, link)
    h.advance(5 * 60_000)
    expect(fw.unreachableTasks.has('task-0')).toBe(true)
    h.master.teardown(fw)
    expectTerminalOnce(h, fw, { 'task-0': 'TASK_KILLED' })
  })
})

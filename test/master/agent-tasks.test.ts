// The master's per-agent task list (src/master/agent-tasks.ts) and the executor ids a stored status shares with its
// task (src/master/tasks.ts): both save memory and must not change what the master holds or writes.

import { describe, expect, test } from 'bun:test'
import type { Task, TaskStatus } from '../../src/core/v1/messages.ts'
import { AgentTasks } from '../../src/master/agent-tasks.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { withSharedExecutorId } from '../../src/master/tasks.ts'

const task = (fw: string, id: string, state: Task['state'] = 'TASK_RUNNING'): Task => ({
  name: id, task_id: { value: id }, framework_id: { value: fw }, agent_id: { value: 'a1' }, state, resources: [],
})

describe('AgentTasks', () => {
  test('keeps insertion order, keyed by framework and task id', () => {
    const tasks = new AgentTasks()
    tasks.set(task('f1', 't1'))
    tasks.set(task('f2', 't1'))
    tasks.set(task('f1', 't2'))
    expect(tasks.size).toBe(3)
    expect([...tasks.values()].map(t => `${t.framework_id.value}/${t.task_id.value}`)).toEqual(['f1/t1', 'f2/t1', 'f1/t2'])
    expect(tasks.get('f2', 't1')?.framework_id.value).toBe('f2')
    expect(tasks.get('f2', 't2')).toBeUndefined()
  })

  test('set replaces the task with the same ids in its place', () => {
    const tasks = new AgentTasks()
    tasks.set(task('f1', 't1'))
    tasks.set(task('f1', 't2'))
    const again = task('f1', 't1', 'TASK_FINISHED')
    tasks.set(again)
    expect(tasks.size).toBe(2)
    expect([...tasks.values()][0]).toBe(again)
  })

  test('delete removes only the named task and keeps the order of the rest', () => {
    const tasks = new AgentTasks()
    for (const id of ['t1', 't2', 't3']) tasks.set(task('f1', id))
    expect(tasks.delete('f1', 't2')).toBe(true)
    expect(tasks.delete('f1', 't2')).toBe(false)
    expect(tasks.delete('f2', 't1')).toBe(false)
    expect([...tasks.values()].map(t => t.task_id.value)).toEqual(['t1', 't3'])
  })
})

describe('stored statuses share executor ids', () => {
  const status = (executorId: TaskStatus['executor_id']): TaskStatus => ({ task_id: { value: 't1' }, state: 'TASK_RUNNING', executor_id: executorId })

  test("a command task's executor id (named after the task) becomes the task's own id object", () => {
    const t = task('f1', 't1')
    const stored = withSharedExecutorId(t, status({ value: 't1' }))
    expect(stored.executor_id).toBe(t.task_id)
    expect(JSON.stringify(stored)).toBe(JSON.stringify(status({ value: 't1' })))
  })

  test("the task's executor id is shared when the values match", () => {
    const t = { ...task('f1', 't1'), executor_id: { value: 'e1' } }
    expect(withSharedExecutorId(t, status({ value: 'e1' })).executor_id).toBe(t.executor_id)
  })

  test('an id with other fields, or another value, is kept as it came', () => {
    const t = task('f1', 't1')
    const odd = { value: 't1', extra: 1 } as unknown as TaskStatus['executor_id']
    expect(withSharedExecutorId(t, status(odd)).executor_id).toBe(odd)
    const other = { value: 'e9' }
    expect(withSharedExecutorId(t, status(other)).executor_id).toBe(other)
    const plain = status(undefined)
    expect(withSharedExecutorId(t, plain)).toBe(plain)
  })

  test('through the master: the stored statuses write the same JSON as the updates the agent sent', () => {
    const h = new MasterHarness()
    const { agent } = h.registerAgent()
    const { framework } = h.subscribe()
    h.allocate()
    const [offer] = h.offersFor(framework)
    h.launch(framework, offer!, [{ task_id: { value: 'task-0' }, name: 'task-0' }])
    const sent: TaskStatus[] = []
    for (const [state, uuid] of [['TASK_STARTING', 'dTE='], ['TASK_RUNNING', 'dTI=']] as const) {
      const s: TaskStatus = {
        task_id: { value: 'task-0' }, state, source: 'SOURCE_EXECUTOR', agent_id: { value: agent.id }, executor_id: { value: 'task-0' },
        timestamp: 1_700_000_000.5, uuid, container_status: { container_id: { value: 'c-1' } },
      }
      sent.push(structuredClone(s))
      h.master.fromAgent(agent, { type: 'STATUS_UPDATE', update: { framework_id: framework.id, status: s } })
    }
    const stored = framework.tasks.get('task-0')!
    expect(JSON.stringify(stored.statuses)).toBe(JSON.stringify(sent))
    expect(stored.statuses![1]!.executor_id).toBe(stored.task_id)
    expect(agent.tasks.get(framework.id, 'task-0')).toBe(stored)
  })
})

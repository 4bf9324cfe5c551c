// MasterMetrics.taskEnded (src/master/metrics.ts): upstream's per state/source/reason counters and the framework's
// terminal counts, the same whether the counter name is built or remembered.

import { expect, test } from 'bun:test'
import { MasterMetrics } from '../../src/master/metrics.ts'

test('terminal tasks count under upstream keys, every time, for every combination', () => {
  const m = new MasterMetrics()
  for (let i = 0; i < 3; i++) {
    m.taskEnded('fw1', 'TASK_FINISHED', 'SOURCE_EXECUTOR', undefined)
    m.taskEnded('fw1', 'TASK_LOST', 'SOURCE_AGENT', 'REASON_AGENT_REMOVED')
    m.taskEnded(undefined, 'TASK_KILLED', undefined, 'REASON_TASK_KILLED_DURING_LAUNCH')
  }
  // Past the names it keeps: still counted, under the same keys.
  for (let i = 0; i < 1100; i++) m.taskEnded('fw2', 'TASK_FAILED', 'SOURCE_EXECUTOR', `REASON_X${i % 1050}`)
  const c = m.counters
  expect(c.get('master/task_finished/source_executor/reason_command_executor_failed')).toBe(3)
  expect(c.get('master/task_lost/source_slave/reason_slave_removed')).toBe(3)
  expect(c.get('master/task_killed/source_master/reason_task_killed_during_launch')).toBe(3)
  expect(c.get('master/task_failed/source_executor/reason_x0')).toBe(2)
  expect(c.get('master/task_failed/source_executor/reason_x1049')).toBe(1)
  expect(m.frameworkTerminal.get('fw1')).toEqual(new Map([['task_finished', 3], ['task_lost', 3]]))
  expect(m.frameworkTerminal.get('fw2')).toEqual(new Map([['task_failed', 1100]]))
})

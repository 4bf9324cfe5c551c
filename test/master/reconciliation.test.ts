import { describe, expect, test } from 'bun:test'
import { reconcile, type ReconciliationView } from '../../src/master/reconciliation.ts'

const task = (id: string, state = 'TASK_RUNNING') => ({ name: id, task_id: { value: id }, framework_id: { value: 'F' }, agent_id: { value: 'A' }, state, statuses: [] }) as any

function view(partitionAware: boolean, agents: Record<string, any> = { A: 'registered' }, recovering = false): ReconciliationView {
  const tasks = [task('known'), task('ghost', 'TASK_UNREACHABLE')]
  return {
    partitionAware,
    findTask: id => tasks.find(t => t.task_id.value === id),
    allTasks: () => tasks,
    agentState: id => agents[id] ?? 'unknown',
    anyRecoveredAgent: () => recovering,
  }
}

describe('reconciliation', () => {
  test('implicit: every known task with its latest state, from the master, no uuid', () => {
    const out = reconcile(view(true), [], 0)
    expect(out.map(s => [s.task_id.value, s.state, s.reason, s.source, s.uuid])).toEqual([
      ['known', 'TASK_RUNNING', 'REASON_RECONCILIATION', 'SOURCE_MASTER', undefined],
      ['ghost', 'TASK_UNREACHABLE', 'REASON_RECONCILIATION', 'SOURCE_MASTER', undefined],
    ])
  })
  test('explicit, partition-aware', () => {
    const v = view(true, { A: 'registered', U: 'unreachable', G: 'gone', R: 'recovered' })
    const ask = (id: string, agent?: string) => reconcile(v, [{ task_id: { value: id }, agent_id: agent ? { value: agent } : undefined }], 0).map(s => s.state)
    expect(ask('known')).toEqual(['TASK_RUNNING'])
    expect(ask('x', 'A')).toEqual(['TASK_GONE'])
    expect(ask('x', 'U')).toEqual(['TASK_UNREACHABLE'])
    expect(ask('x', 'G')).toEqual(['TASK_GONE_BY_OPERATOR'])
    expect(ask('x', 'R')).toEqual([])
    expect(ask('x', 'nobody')).toEqual(['TASK_UNKNOWN'])
    expect(ask('x')).toEqual(['TASK_UNKNOWN'])
  })
  test('non-partition-aware frameworks get TASK_LOST for every unknown outcome', () => {
    const v = view(false, { A: 'registered', U: 'unreachable' })
    expect(reconcile(v, [{ task_id: { value: 'x' }, agent_id: { value: 'A' } }], 0)[0]!.state).toBe('TASK_LOST')
    expect(reconcile(v, [{ task_id: { value: 'ghost' } }], 0)[0]!.state).toBe('TASK_LOST')
  })
  test('no answer for unknown tasks without an agent id while agents are still re-registering', () => {
    expect(reconcile(view(true, {}, true), [{ task_id: { value: 'x' } }], 0)).toEqual([])
  })
})

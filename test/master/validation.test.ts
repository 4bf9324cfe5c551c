import { describe, expect, test } from 'bun:test'
import { frameworkInfoError, validateSchedulerCall } from '../../src/master/validation/scheduler-call.ts'
import { validateTask, validateTaskGroup, type TaskValidationContext } from '../../src/master/validation/task.ts'
import { roleError } from '../../src/core/roles.ts'

const ctx: TaskValidationContext = { frameworkId: 'F', agentId: 'A', taskIdInUse: id => id === 'dup', existingExecutor: () => undefined }
const task = (over: any = {}) => ({ name: 't', task_id: { value: 't1' }, agent_id: { value: 'A' }, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }], command: { value: 'true' }, ...over })

describe('scheduler call validation', () => {
  test('framework id, sub-messages, MULTI_ROLE rules', () => {
    expect(validateSchedulerCall({ type: 'DECLINE' })).toBe("Expecting 'decline' to be present")
    expect(validateSchedulerCall({ type: 'DECLINE', decline: {} })).toBe("Expecting 'framework_id' to be present")
    // FrameworkInfo's roles are Master::subscribe's checks, heard as an ERROR event on the stream (frameworkInfoError).
    expect(validateSchedulerCall({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', roles: ['a'] } } })).toBeUndefined()
    expect(frameworkInfoError({ user: 'u', name: 'n', roles: ['a'] })).toBe("'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable")
    expect(frameworkInfoError({ user: 'u', name: 'n', role: 'x', capabilities: [{ type: 'MULTI_ROLE' }] })).toBe("'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable")
    expect(validateSchedulerCall({ type: 'SUBSCRIBE', framework_id: { value: 'a' }, subscribe: { framework_info: { user: 'u', name: 'n', id: { value: 'b' } } } })).toContain('differs')
    expect(validateSchedulerCall({ type: 'ACKNOWLEDGE', framework_id: { value: 'F' }, acknowledge: { uuid: 'AAAA' } })).toContain('16 bytes')
  })
  test('role names', () => {
    for (const bad of ['', '/a', 'a/', 'a//b', '.', 'a/../b', '-a', 'a b']) expect(roleError(bad)).toBeDefined()
    for (const good of ['*', 'dev', 'a/b/c', 'x-y']) expect(roleError(good)).toBeUndefined()
  })
})

describe('task validation', () => {
  test('ids, resources, command vs executor', () => {
    expect(validateTask(task(), ctx)).toBeUndefined()
    expect(validateTask(task({ task_id: { value: 'a/b' } }), ctx)).toContain('is invalid')
    expect(validateTask(task({ task_id: { value: 'dup' } }), ctx)).toContain('duplicate ID')
    expect(validateTask(task({ agent_id: { value: 'B' } }), ctx)).toContain('invalid agent')
    expect(validateTask(task({ resources: [] }), ctx)).toBe('Task uses no resources')
    expect(validateTask(task({ executor: { executor_id: { value: 'e' }, command: { value: 'x' } } }), ctx)).toContain('not both')
    expect(validateTask(task({ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: -2 } }] }), ctx)).toContain('invalid resources')
  })
  test('task groups need a DEFAULT executor and no per-task executors', () => {
    const ex = { type: 'DEFAULT', executor_id: { value: 'e' } } as any
    expect(validateTaskGroup(ex, [task({ command: undefined })], ctx)).toBeUndefined()
    expect(validateTaskGroup({ ...ex, type: 'CUSTOM' }, [task()], ctx)).toContain('DEFAULT')
    expect(validateTaskGroup(ex, [], ctx)).toContain('empty')
    expect(validateTaskGroup(ex, [task(), task()], ctx)).toContain('duplicate task ID')
  })
})

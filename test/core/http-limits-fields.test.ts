// Field limits (src/master/validation/fields.ts, docs/security-input.md): Mesos' ID rules, meso's bounds on names
// and labels, applied to SUBSCRIBE, launches and messages from agents.

import { describe, expect, test } from 'bun:test'
import type { TaskInfo } from '../../src/core/v1/messages.ts'
import { parseAgentMessage } from '../../src/master/validation/agent-message.ts'
import { idError, MAX_LABEL_VALUE_LENGTH } from '../../src/master/validation/fields.ts'
import { validateSchedulerCall } from '../../src/master/validation/scheduler-call.ts'
import { validateTask } from '../../src/master/validation/task.ts'

const subscribe = (info: Record<string, unknown>) => ({ type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', ...info } } })
const ctx = { frameworkId: 'F', agentId: 'A', taskIdInUse: () => false, existingExecutor: () => undefined }
const task = (extra: Partial<TaskInfo> = {}): TaskInfo => ({
  name: 't', task_id: { value: 't1' }, agent_id: { value: 'A' }, command: { value: 'true' },
  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }], ...extra,
})

describe('IDs, as Mesos validateID', () => {
  test('non-empty, at most 255 characters, not . or .., no separators or control characters', () => {
    expect(idError('a'.repeat(255))).toBeUndefined()
    expect(idError('a'.repeat(256))).toBe('ID must not be greater than 255 characters')
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\nb', 'a\u007fb']) expect(idError(bad)).toBeDefined()
  })
  test('a FrameworkInfo.id given at SUBSCRIBE is checked', () => {
    expect(validateSchedulerCall(subscribe({ id: { value: '../etc' } }))).toBe("'FrameworkInfo.id' is invalid: ID must not contain '/', '\\' or control characters")
  })
})

describe('names and labels', () => {
  test('FrameworkInfo: name, user, hostname, principal, webui_url, labels', () => {
    expect(validateSchedulerCall(subscribe({ name: 'x'.repeat(1024) }))).toBeUndefined()
    expect(validateSchedulerCall(subscribe({ name: 'x'.repeat(50 * 1024 * 1024) }))).toBe("'FrameworkInfo.name' must not be longer than 1024 characters (it has 52428800)")
    expect(validateSchedulerCall(subscribe({ principal: 'p'.repeat(1025) }))).toContain("'FrameworkInfo.principal'")
    expect(validateSchedulerCall(subscribe({ webui_url: 'http://x/' + 'a'.repeat(5000) }))).toContain("'FrameworkInfo.webui_url'")
    expect(validateSchedulerCall(subscribe({ labels: { labels: [{ key: 'k', value: 'v'.repeat(MAX_LABEL_VALUE_LENGTH + 1) }] } }))).toContain("'FrameworkInfo.labels value' must not be longer")
    const update = { type: 'UPDATE_FRAMEWORK', framework_id: { value: 'F' }, update_framework: { framework_info: { user: 'u', name: 'n'.repeat(2000) } } }
    expect(validateSchedulerCall(update)).toContain("'FrameworkInfo.name'")
  })
  test('TaskInfo and its ExecutorInfo', () => {
    expect(validateTask(task(), ctx)).toBeUndefined()
    expect(validateTask(task({ name: 'n'.repeat(1025) }), ctx)).toBe("Task 't1' is invalid: 'TaskInfo.name' must not be longer than 1024 characters (it has 1025)")
    expect(validateTask(task({ labels: { labels: Array.from({ length: 1001 }, (_, i) => ({ key: `${i}` })) } }), ctx)).toContain('must not have more than 1000 labels')
    const executor = { executor_id: { value: 'e' }, command: { value: 'x' }, name: 'e'.repeat(2000) }
    expect(validateTask(task({ command: undefined, executor }), ctx)).toContain("'ExecutorInfo.name'")
  })
})

describe('messages from agents', () => {
  test('IDs and the hostname are checked; a bad message is dropped, not applied', () => {
    const reg = { type: 'REGISTER', agent_info: { hostname: 'h' }, version: '1', capabilities: [], protocol: 1, pid: 'slave(1)@x:1' }
    expect('message' in parseAgentMessage(reg)).toBe(true)
    expect(parseAgentMessage({ ...reg, agent_info: { hostname: 'h'.repeat(1025) } })).toEqual({ error: "REGISTER: bad or missing 'agent_info'" })
    const update = (taskId: string) => ({ type: 'STATUS_UPDATE', update: { framework_id: 'F', status: { task_id: { value: taskId }, state: 'TASK_RUNNING' } } })
    expect('message' in parseAgentMessage(update('t1'))).toBe(true)
    expect('error' in parseAgentMessage(update('x'.repeat(300)))).toBe(true)
  })
})

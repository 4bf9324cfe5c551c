import { describe, expect, test } from 'bun:test'
import { parseAgentMessage } from '../../src/master/validation/agent-message.ts'

const register = { type: 'REGISTER', agent_info: { hostname: 'a', resources: [] }, version: '1', capabilities: [], protocol: 1, pid: 'slave(1)@1.2.3.4:5051' }

describe('messages from agents', () => {
  test('well-formed messages pass through unchanged', () => {
    for (const m of [
      register,
      { ...register, type: 'REREGISTER', agent_info: { ...register.agent_info, id: { value: 'S1' } }, frameworks: [{ user: 'u', name: 'n', id: { value: 'F' } }], executors: [], tasks: [{ task_id: { value: 't' }, framework_id: { value: 'F' }, agent_id: { value: 'S1' }, state: 'TASK_RUNNING', name: 't' }] },
      { type: 'STATUS_UPDATE', update: { framework_id: 'F', status: { task_id: { value: 't' }, state: 'TASK_RUNNING', uuid: 'x' }, latest_state: 'TASK_FINISHED' } },
      { type: 'LATEST_STATE', framework_id: 'F', task_id: 't', state: 'TASK_KILLED' },
      { type: 'EXECUTOR_MESSAGE', framework_id: 'F', executor_id: 'e', data: 'aGk=' },
      { type: 'EXITED_EXECUTOR', framework_id: 'F', executor_id: 'e', status: 256 },
      { type: 'PONG', seq: 3 },
    ]) {
      expect(parseAgentMessage(m)).toEqual({ message: m as never })
    }
  })

  test('malformed messages are refused with the reason', () => {
    const cases: [unknown, string][] = [
      [null, 'not a JSON object'],
      [[1], 'not a JSON object'],
      [{ type: 'NOPE' }, 'unknown message type "NOPE"'],
      [{ ...register, agent_info: 'x' }, "REGISTER: bad or missing 'agent_info'"],
      [{ ...register, capabilities: [1] }, "REGISTER: bad or missing 'capabilities'"],
      [{ type: 'STATUS_UPDATE', update: { framework_id: 'F', status: { task_id: { value: 't' }, state: 'RUNNING' } } }, "STATUS_UPDATE: bad or missing 'update'"],
      [{ type: 'LATEST_STATE', framework_id: '', task_id: 't', state: 'TASK_KILLED' }, "LATEST_STATE: bad or missing 'framework_id'"],
      [{ type: 'PONG', seq: 'x' }, "PONG: bad or missing 'seq'"],
      [{ type: 'EXITED_EXECUTOR', framework_id: 'F', executor_id: 'e', status: 1.5 }, "EXITED_EXECUTOR: bad or missing 'status'"],
    ]
    for (const [m, error] of cases) expect(parseAgentMessage(m)).toEqual({ error })
  })
})

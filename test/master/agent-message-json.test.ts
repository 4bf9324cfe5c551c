import { describe, expect, test } from 'bun:test'
import { DEFAULT_JSON_LIMITS, parseJson } from '../../src/core/proto/json.ts'
import { parseAgentJson } from '../../src/master/agent-message-json.ts'

const outcome = (f: () => unknown) => {
  try {
    return { value: f() }
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` }
  }
}

const update = JSON.stringify({
  type: 'STATUS_UPDATE',
  update: { framework_id: 'F', status: { task_id: { value: 't' }, state: 'TASK_RUNNING', uuid: 'q83vEjRWeJCrze8SNFZ4kA==', timestamp: 1.7e9, container_status: { network_infos: [{ ip_addresses: [{ ip_address: '10.0.0.1' }] }] } }, latest_state: 'TASK_RUNNING' },
})

describe('parseAgentJson', () => {
  test('gives what parseJson gives: the value, or the same error', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n)
    for (const text of [
      update, '{"type":"PONG","seq":3}', ' {"a" : [1, 2.5e3, -0, true, null, "\\u00e9\\n"]} ', '"x"', '12',
      // JSON.parse refuses these: parseJson says why
      '{"a":1', '{"a":1}x', "{'a':1}", '{"a":"\u0001"}', '',
      // JSON.parse accepts these, parseJson does not
      '{"a":1e999}', '[-1e400]',
      // the depth limit, at and past it
      deep(DEFAULT_JSON_LIMITS.maxDepth), deep(DEFAULT_JSON_LIMITS.maxDepth + 1), `{"a":${deep(DEFAULT_JSON_LIMITS.maxDepth)}}`,
    ]) {
      expect(outcome(() => parseAgentJson(text, DEFAULT_JSON_LIMITS))).toEqual(outcome(() => parseJson(text)))
    }
  })

  test('text that could break the string or entry limits is read by parseJson alone', () => {
    const small = { ...DEFAULT_JSON_LIMITS, maxEntries: 10 }
    // Under the master's tighter limits the fast path steps aside; parseJson reads under the process's limits.
    expect(parseAgentJson(update, small)).toEqual(JSON.parse(update))
    expect(outcome(() => parseAgentJson('"' + 'x'.repeat(50) + '"', { ...DEFAULT_JSON_LIMITS, maxStringLength: 10 }))).toEqual({ value: 'x'.repeat(50) })
  })
})

// The one-pass JSON reader (src/core/proto/json.ts): the same answers as JSON.parse + fromJson on valid and broken
// input, and the limits of docs/security-input.md enforced while reading.

import { describe, expect, test } from 'bun:test'
import { message } from '../../src/core/proto/index.ts'
import { DEFAULT_JSON_LIMITS, fromJson, JsonLimitError, parseJson, parseJsonText, ProtoJsonError } from '../../src/core/proto/json.ts'
import { fuzzRequest, Rng } from '../fuzz/hostile.ts'

const Call = message('mesos.v1.scheduler.Call')
const AgentCall = message('mesos.v1.agent.Call')
const HUGE = { maxDepth: 10_000, maxStringLength: 1 << 30, maxEntries: 1 << 30 }

/** JSON.parse, refusing numbers that overflow a double as picojson (stout's parser) does. */
const jsonParse = (text: string) => JSON.parse(text, (_k, v) => { if (v === Infinity || v === -Infinity) throw new Error('out of range'); return v })

/** The outcome of the old path (JSON.parse, then fromJson): the normalized text, or 'error'. */
function old(type: typeof Call, text: string): string {
  try { return JSON.stringify(fromJson(type, jsonParse(text))) } catch { return 'error' }
}
function now(type: typeof Call, text: string): string {
  try { return JSON.stringify(parseJsonText(type, text, HUGE)) } catch (err) { if (!(err instanceof ProtoJsonError)) throw err; return 'error' }
}

/** Request bodies as the fuzzer makes them (valid calls, mutated values, damaged text), as text. */
function corpus(n: number, seed: number): string[] {
  const r = new Rng(seed)
  const out: string[] = []
  while (out.length < n) {
    const q = fuzzRequest(r, false)
    if (typeof q.body === 'string' && q.body.length < 200_000) out.push(q.body)
    else if (q.body instanceof Uint8Array && q.body.length < 200_000) out.push(new TextDecoder().decode(q.body))
  }
  return out
}

describe('same answers as JSON.parse + fromJson', () => {
  test('on 5,000 fuzzed scheduler and operator bodies, valid and broken', () => {
    let valid = 0
    for (const text of corpus(5000, 11)) {
      for (const type of [Call, AgentCall]) {
        const a = old(type, text)
        expect({ text: text.slice(0, 200), out: now(type, text) }).toEqual({ text: text.slice(0, 200), out: a })
        if (a !== 'error') valid++
      }
    }
    expect(valid).toBeGreaterThan(1000)
  })

  test('fields in .proto order with defaults, nulls as absent, bare values for repeated fields, __proto__ kept as data', () => {
    const text = '{"framework_id":null,"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"x","role":"*","id":null,"failover_timeout":604800,"capabilities":[],"labels":null}},"accept":null,"kill":null}'
    expect(JSON.stringify(parseJsonText(Call, text))).toBe('{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"x","failover_timeout":604800,"checkpoint":false,"role":"*"}}}')
    expect(parseJsonText(Call, '{"type":"DECLINE","decline":{"offer_ids":{"value":"o1"},"filters":{"refuse_seconds":"3600"}}}').decline)
      .toEqual({ offer_ids: [{ value: 'o1' }], filters: { refuse_seconds: 3600 } })
    const v = parseJson('{"__proto__":{"polluted":1},"a":[1,2.5e3,-0,"\\u00e9\\n"]}') as Record<string, unknown>
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype)
    expect(Object.keys(v)).toEqual(['__proto__', 'a'])
    expect(v.a).toEqual([1, 2500, -0, 'é\n'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  test('JSON syntax: what JSON.parse refuses is refused, with the position', () => {
    for (const bad of ['', ' ', '{', '{"a":}', '{"a":1,}', '[1,]', '{"a" 1}', '01', '1.', '.5', '+1', '-', '1e', 'tru', 'nul', '"\\x"', '"\\u12"', '"a\nb"', "{'a':1}", '{"a":1}x', 'NaN', '[1 2]', '{"a":1 "b":2}']) {
      expect(() => JSON.parse(bad)).toThrow()
      expect(() => parseJson(bad)).toThrow(ProtoJsonError)
    }
    expect(() => parseJsonText(Call, '{"type":"REVIVE",}')).toThrow('Failed to parse body into JSON: Unexpected character "}" at position 17')
    expect(() => parseJsonText(Call, '{"type":"REVIVE"')).toThrow('Failed to parse body into JSON: Unexpected end of input at the end of the input')
    expect(() => parseJsonText(Call, '[]')).toThrow('Expecting a JSON object')
    expect(() => parseJson('[1e999]')).toThrow('Failed to parse body into JSON: Number out of range at position 1')
  })

  test('generic parse equals JSON.parse on the corpus', () => {
    for (const text of corpus(3000, 5)) {
      let a: unknown
      try { a = jsonParse(text) } catch { a = 'error' }
      let b: unknown
      try { b = parseJson(text, HUGE) } catch { b = 'error' }
      expect(b).toEqual(a)
    }
  })
})

describe('limits, checked while reading', () => {
  const sub = (extra: string) => `{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"${extra}}}}`

  test('depth: 100 levels pass, 101 fail with the flag named; unknown keys count too', () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n)
    expect(parseJson(nest(100))).toBeDefined()
    expect(() => parseJson(nest(101))).toThrow('Failed to parse body into JSON: nesting is deeper than the limit of 100 (--json_max_depth) at position 100')
    expect(() => parseJsonText(Call, `{"type":"REVIVE","junk":${nest(100)}}`)).toThrow(JsonLimitError)
    expect(() => parseJsonText(Call, `{"type":"REVIVE","junk":${nest(98)}}`)).not.toThrow()
  })

  test('string length, keys and escaped strings included', () => {
    const limits = { ...DEFAULT_JSON_LIMITS, maxStringLength: 14 } // "framework_info" is 14
    expect(parseJsonText(Call, sub(',"hostname":"0123456789abcd"'), limits).subscribe.framework_info.hostname).toBe('0123456789abcd')
    expect(() => parseJsonText(Call, sub(',"hostname":"0123456789abcde"'), limits)).toThrow('a string is longer than the limit of 14 (--json_max_string_length)')
    expect(() => parseJsonText(Call, sub(',"hostname":"\\u00301234567890abcd"'), limits)).toThrow(JsonLimitError)
    expect(() => parseJsonText(Call, sub(',"0123456789abcde":1'), limits)).toThrow(JsonLimitError)
    expect(() => parseJson('{"0123456789abcde":1}', limits)).toThrow(JsonLimitError)
  })

  test('entries per array and per object, in known and unknown fields', () => {
    const limits = { ...DEFAULT_JSON_LIMITS, maxEntries: 3 }
    expect(parseJsonText(Call, sub(',"roles":["a","b","c"]'), limits).subscribe.framework_info.roles).toEqual(['a', 'b', 'c'])
    expect(() => parseJsonText(Call, sub(',"roles":["a","b","c","d"]'), limits)).toThrow('has more entries than the limit of 3 (--json_max_array_length)')
    expect(() => parseJsonText(Call, '{"type":"REVIVE","x":{"a":1,"b":2,"c":3,"d":4}}', limits)).toThrow(JsonLimitError)
    expect(() => parseJson('[[],[],[],[]]', limits)).toThrow(JsonLimitError)
  })

  test('50 MB of `[` is refused in microseconds, without building anything', () => {
    const text = '['.repeat(50_000_000)
    const t0 = performance.now()
    expect(() => parseJsonText(Call, text)).toThrow(JsonLimitError)
    expect(() => parseJson(text)).toThrow(JsonLimitError)
    expect(performance.now() - t0).toBeLessThan(50)
  })
})

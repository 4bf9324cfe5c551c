import { describe, expect, test } from 'bun:test'
import { frame, RecordIODecoder, RecordIOError } from '../../src/core/recordio.ts'

const text = (b: Uint8Array) => new TextDecoder().decode(b)

describe('RecordIO', () => {
  test('frames by byte length, not characters, with no trailing newline', () => {
    expect(text(frame('{"type":"HEARTBEAT"}'))).toBe('20\n{"type":"HEARTBEAT"}')
    expect(text(frame('"é"'))).toBe('4\n"é"')
  })
  test('decodes across arbitrary chunk boundaries', () => {
    const all = new Uint8Array([...frame('{"a":1}'), ...frame('{"b":"ü"}'), ...frame('x')])
    for (let split = 1; split < all.length; split++) {
      const d = new RecordIODecoder()
      const out = [...d.push(all.subarray(0, split)), ...d.push(all.subarray(split))]
      expect(out.map(text)).toEqual(['{"a":1}', '{"b":"ü"}', 'x'])
      expect(d.idle).toBe(true)
    }
  })
  test('one byte at a time, with blank lines between records', () => {
    const d = new RecordIODecoder()
    const out: string[] = []
    for (const b of new TextEncoder().encode('\n3\nabc\n\n2\nde')) out.push(...d.push(new Uint8Array([b])).map(text))
    expect(out).toEqual(['abc', 'de'])
  })
  test('rejects garbage lengths and oversized records', () => {
    expect(() => new RecordIODecoder().push(new TextEncoder().encode('abc\n'))).toThrow(RecordIOError)
    expect(() => new RecordIODecoder(10).push(new TextEncoder().encode('11\n'))).toThrow('exceeds')
  })
})

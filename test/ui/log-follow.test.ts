// Following a rotated sandbox log in the browser (src/ui/model/log-follow.ts), and the stream's reconnect backoff.

import { expect, test } from 'bun:test'
import { backoffSeconds } from '../../src/ui/api/subscription.ts'
import { afterRead, INITIAL_BYTES, keep, nextRead, READ_BYTES, restart, startAt, TAIL_CHARS } from '../../src/ui/model/log-follow.ts'

/** A file as the agent's /files/read serves it: `data` from `offset`, at most `length` bytes (ASCII here). */
const serve = (file: string, offset: number, length: number) => file.slice(offset, offset + length)

test('a small file is shown whole, then only what was appended', () => {
  let file = 'one\ntwo\n'
  let s = startAt('/sb/stdout', file.length)
  expect(s.offset).toBe(0)
  let r = nextRead(s)
  let o = afterRead(s, serve(file, r.offset, r.length))
  if (o.kind !== 'same') throw new Error('rotated')
  expect(o.fresh).toBe('one\ntwo\n')
  s = o.state
  file += 'three\n'
  r = nextRead(s)
  expect(r.offset).toBe(file.length - 'three\n'.length - 'one\ntwo\n'.length) // re-reads the remembered tail
  o = afterRead(s, serve(file, r.offset, r.length))
  if (o.kind !== 'same') throw new Error('rotated')
  expect(o.fresh).toBe('three\n')
  expect(o.state.offset).toBe(file.length)
  // Nothing new: nothing shown, nothing moves.
  const again = afterRead(o.state, serve(file, nextRead(o.state).offset, READ_BYTES))
  expect(again.kind === 'same' && again.fresh).toBe('')
})

test('a large file is opened at its last lines, starting on a whole line', () => {
  const file = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n'
  const s = startAt('/sb/stdout', file.length)
  expect(s.offset).toBe(file.length - INITIAL_BYTES)
  const r = nextRead(s)
  const o = afterRead(s, serve(file, r.offset, r.length))
  if (o.kind !== 'same') throw new Error('rotated')
  expect(o.fresh.startsWith('line ')).toBe(true)
  expect(o.fresh.endsWith('line 19999\n')).toBe(true)
  expect(o.state.offset).toBe(file.length)
})

test('a rotation is noticed by the tail, and reading starts over on the new file', () => {
  const old = 'a'.repeat(100) + '\nlast line of the old file\n'
  let s = startAt('/sb/stdout', 0)
  const o = afterRead(s, old)
  if (o.kind !== 'same') throw new Error('rotated')
  s = o.state
  expect(s.tail.length).toBe(TAIL_CHARS)
  // The agent moved stdout to stdout.1 and started a new stdout.
  const fresh = 'new\n'
  const r = nextRead(s)
  expect(afterRead(s, serve(fresh, r.offset, r.length)).kind).toBe('rotated')
  // What the old file got after our offset is read from stdout.1 with the same state.
  const oldGrown = old + 'written just before the rotation\n'
  const rest = afterRead(s, serve(oldGrown, r.offset, r.length))
  expect(rest.kind === 'same' && rest.fresh).toBe('written just before the rotation\n')
  const n = restart(s)
  const first = afterRead(n, serve(fresh, nextRead(n).offset, READ_BYTES))
  expect(first.kind === 'same' && first.fresh).toBe('new\n')
})

test('offsets count UTF-8 bytes, and the tail never starts inside a surrogate pair', () => {
  const text = 'é'.repeat(10) + '🙂'.repeat(40) + '\n'
  const s = startAt('/x', 0)
  const o = afterRead(s, text)
  if (o.kind !== 'same') throw new Error('rotated')
  expect(o.state.offset).toBe(new TextEncoder().encode(text).length)
  expect(/^[\uDC00-\uDFFF]/.test(o.state.tail)).toBe(false)
  expect(text.endsWith(o.state.tail)).toBe(true)
  expect(nextRead(o.state).offset).toBe(o.state.offset - new TextEncoder().encode(o.state.tail).length)
})

test('the page keeps a bounded amount of text, dropping whole lines from the top', () => {
  expect(keep('a\nb\n', 'c\n', 100)).toBe('a\nb\nc\n')
  expect(keep('aaaa\nbbbb\n', 'cccc\n', 8)).toBe('cccc\n')
  expect(keep('', 'x'.repeat(20), 8)).toBe('x'.repeat(8))
})

test('reconnect backoff doubles from 1 s to at most 30 s, with jitter', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 20].map(n => backoffSeconds(n, () => 0))).toEqual([1, 2, 4, 8, 16, 30, 30, 30])
  expect(backoffSeconds(1, () => 1)).toBe(1.2)
})

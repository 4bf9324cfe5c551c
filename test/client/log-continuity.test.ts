// Telling a rotated sandbox log from the file that was being followed (src/client/log-continuity.ts).

import { expect, test } from 'bun:test'
import { charAlignedTail, continuation, TAIL_BYTES } from '../../src/client/log-continuity.ts'

const b = (s: string) => Buffer.from(s)

test('the remembered tail is the last bytes read, never starting inside a UTF-8 character', () => {
  expect(charAlignedTail(b(''), b('hello')).toString()).toBe('hello')
  expect(charAlignedTail(b('x'.repeat(100)), b('y')).length).toBe(TAIL_BYTES)
  // 'é' is two bytes: a cut right after its first byte moves to the next character.
  const text = b(`${'a'.repeat(10)}é${'b'.repeat(TAIL_BYTES - 1)}`)
  const tail = charAlignedTail(b(''), text)
  expect(tail.toString()).toBe('b'.repeat(TAIL_BYTES - 1))
  expect(charAlignedTail(b(''), b(`é${'b'.repeat(TAIL_BYTES - 2)}`)).toString()).toBe(`é${'b'.repeat(TAIL_BYTES - 2)}`)
})

test('a read that starts with the tail continues the file; anything else is a rotation', () => {
  const tail = b('line 41\n')
  expect(continuation(tail, b('line 41\nline 42\n'))).toEqual({ kind: 'same', fresh: b('line 42\n') })
  expect(continuation(tail, b('line 41\n'))).toEqual({ kind: 'same', fresh: b('') })
  expect(continuation(tail, b('line 1\n'))).toEqual({ kind: 'rotated' })
  expect(continuation(tail, b(''))).toEqual({ kind: 'rotated' })
  expect(continuation(tail, b('line 90\nline 91\n'))).toEqual({ kind: 'rotated' })
})

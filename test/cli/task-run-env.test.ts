// `meso task run --env`: K=V sets, K= sets empty, a bare K passes the caller's K (docker's semantics).

import { expect, test } from 'bun:test'
import { envFromFlags } from '../../src/cli/task-run-values.ts'

test('K=V and K= set values; a bare K comes from the caller, or is left out when the caller has none', () => {
  const caller = { FOO: 'from-caller', EMPTY: '' }
  expect(envFromFlags(['A=1', 'B=', 'C=x=y', 'FOO', 'UNSET', 'EMPTY'], caller)).toEqual({ A: '1', B: '', C: 'x=y', FOO: 'from-caller', EMPTY: '' })
  expect(envFromFlags(undefined, caller)).toEqual({})
})

test('the last of a repeated name wins, a bare unset name included', () => {
  expect(envFromFlags(['A=1', 'A=2'], {})).toEqual({ A: '2' })
  expect(envFromFlags(['A=1', 'A'], {})).toEqual({})
  expect(envFromFlags(['A=1', 'A'], { A: 'c' })).toEqual({ A: 'c' })
})

test('a value without a name is refused in the words of the usage error', () => {
  expect(() => envFromFlags(['=x'], {})).toThrow("--env expects K=V or K, got '=x'")
  expect(() => envFromFlags([''], {})).toThrow("--env expects K=V or K, got ''")
})

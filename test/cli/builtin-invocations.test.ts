// The spellings of help and version, rewritten to the forms the dispatcher handles.

import { expect, test } from 'bun:test'
import { asksForHelp, canonicalArgv } from '../../src/cli/builtin-invocations.ts'

test('meso help [COMMAND] is COMMAND --help', () => {
  expect(canonicalArgv(['help'])).toEqual(['--help'])
  expect(canonicalArgv(['help', 'task', 'run'])).toEqual(['task', 'run', '--help'])
})

test('meso version and meso -v are meso --version', () => {
  expect(canonicalArgv(['version'])).toEqual(['--version'])
  expect(canonicalArgv(['-v'])).toEqual(['--version'])
  expect(canonicalArgv(['--version'])).toEqual(['--version'])
  expect(canonicalArgv(['task', 'run', '--', 'sh', '-v'])).toEqual(['task', 'run', '--', 'sh', '-v'])
})

test('-h is --help, except in the task command after --', () => {
  expect(canonicalArgv(['task', 'run', '-h'])).toEqual(['task', 'run', '--help'])
  expect(canonicalArgv(['task', 'run', '--', 'ls', '-h'])).toEqual(['task', 'run', '--', 'ls', '-h'])
})

test('asksForHelp', () => {
  expect(asksForHelp([])).toBe(true)
  expect(asksForHelp(['task', '--help'])).toBe(true)
  expect(asksForHelp(['task', 'run', '--', 'x', '--help'])).toBe(false)
  expect(asksForHelp(['task', 'list'])).toBe(false)
})

// "did you mean …?": edit distance over commands as typed, and the one-line errors built on it.

import { describe, expect, test } from 'bun:test'
import { closestCommand, editDistance } from '../../src/cli/command-suggestion.ts'
import { describeOclifError, unknownCommand } from '../../src/cli/usage-error.ts'

const KNOWN = ['task', 'task run', 'task list', 'task kill', 'task logs', 'task exec', 'task attach', 'agent', 'agent list', 'up', 'master', 'cluster', 'cluster status', 'help', 'version', 'completion']

describe('editDistance', () => {
  test('insertions, deletions, substitutions and neighbour swaps cost 1 each', () => {
    expect(editDistance('task', 'task')).toBe(0)
    expect(editDistance('taks', 'task')).toBe(1)
    expect(editDistance('tsk', 'task')).toBe(1)
    expect(editDistance('tasks', 'task')).toBe(1)
    expect(editDistance('tusk', 'task')).toBe(1)
    expect(editDistance('', 'up')).toBe(2)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })
})

describe('closestCommand', () => {
  test('finds the command a typo meant, written with spaces', () => {
    expect(closestCommand('taks list', KNOWN)).toBe('task list')
    expect(closestCommand('task lsit', KNOWN)).toBe('task list')
    expect(closestCommand('task lis', KNOWN)).toBe('task list')
    expect(closestCommand('tasks', KNOWN)).toBe('task')
    expect(closestCommand('cluster stauts', KNOWN)).toBe('cluster status')
    expect(closestCommand('verison', KNOWN)).toBe('version')
  })
  test('suggests nothing when nothing is close', () => {
    expect(closestCommand('frobnicate', KNOWN)).toBeUndefined()
    expect(closestCommand('zz', KNOWN)).toBeUndefined()
    expect(closestCommand('', KNOWN)).toBeUndefined()
  })
  test('ties go to the shorter command, so the answer is stable', () => {
    expect(closestCommand('tas', ['task', 'tasks'])).toBe('task')
  })
})

describe('one-line errors for what oclif raises', () => {
  test('an unknown command names the typed words and the closest command, never the colon form', () => {
    expect(unknownCommand(['taks', 'list'], KNOWN)).toBe("unknown command 'taks list'; did you mean 'task list'?")
    expect(unknownCommand(['taks', 'list', 'web'], KNOWN)).toBe("unknown command 'taks list'; did you mean 'task list'?")
    expect(unknownCommand(['frobnicate'], KNOWN)).toBe("unknown command 'frobnicate'; see 'meso --help'")
    const e = describeOclifError({ message: 'command taks:list not found', oclif: { exit: 2 } }, ['taks', 'list'], KNOWN)
    expect(e).toEqual({ message: "unknown command 'taks list'; did you mean 'task list'?", exit: 2 })
    // oclif's help says it differently ("Command X not found."), the answer is the same.
    expect(describeOclifError({ message: 'Command tsak not found.', oclif: { exit: 2 } }, ['tsak', '--help'], KNOWN).message).toBe("unknown command 'tsak'; did you mean 'task'?")
  })
  test('a missing argument is named in capitals, with the command help to see', () => {
    const err = { message: 'Missing 1 required arg:\ntask  task id\nSee more help with --help', oclif: { exit: 2 }, args: [{ name: 'task' }], parse: { input: { context: { id: 'task:kill' } } } }
    expect(describeOclifError(err, ['task', 'kill'], KNOWN)).toEqual({ message: "missing TASK; see 'meso task kill --help'", exit: 2 })
  })
  test('other usage errors keep their first line and point at the command help', () => {
    const err = { message: 'Nonexistent flag: --bogus\nSee more help with --help', oclif: { exit: 2 }, parse: { input: { context: { id: 'task:list' } } } }
    expect(describeOclifError(err, ['task', 'list', '--bogus'], KNOWN)).toEqual({ message: "Nonexistent flag: --bogus; see 'meso task list --help'", exit: 2 })
  })
  test('a clean exit prints nothing', () => {
    expect(describeOclifError({ message: 'EEXIT: 0', code: 'EEXIT', oclif: { exit: 0 } }, [], KNOWN)).toEqual({ exit: 0 })
  })
})

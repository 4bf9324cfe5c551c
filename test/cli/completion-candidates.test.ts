// What TAB offers: topics and commands, flags, fixed options, and task names (fetched by the caller).

import { describe, expect, test } from 'bun:test'
import { completionsFor, type CompletionSpec } from '../../src/cli/completion-candidates.ts'
import { specFromClasses } from '../../src/cli/complete.ts'
import { COMMANDS } from '../../src/commands/index.ts'

const spec: CompletionSpec = specFromClasses(COMMANDS)
const words = (typed: string[]): string[] => {
  const a = completionsFor(typed, spec)
  if (a.kind !== 'words') throw new Error(`expected words for ${JSON.stringify(typed)}, got ${JSON.stringify(a)}`)
  return a.words
}

describe('completionsFor', () => {
  test('top-level words: topics and commands, by prefix', () => {
    expect(words(['ta'])).toEqual(['task'])
    const all = words([''])
    for (const w of ['task', 'agent', 'up', 'master', 'cluster', 'image', 'help', 'version', 'completion']) expect(all).toContain(w)
    expect(all.some(w => w.startsWith('__'))).toBe(false)
  })
  test('sub-commands of a topic, and of a command that is also a topic', () => {
    expect(words(['task', ''])).toEqual(['attach', 'exec', 'kill', 'list', 'logs', 'run'])
    expect(words(['task', 'l'])).toEqual(['list', 'logs'])
    expect(words(['agent', ''])).toContain('list')
    expect(words(['agent', ''])).not.toContain('agent')
    expect(words(['agent', 'list', ''])).toEqual([])
  })
  test("a command's flags, and a flag's fixed options", () => {
    expect(words(['task', 'list', '--'])).toEqual(['--all', '--ca-cert', '--help', '--json', '--master', '--quiet'])
    expect(words(['task', 'list', '--q'])).toEqual(['--quiet'])
    expect(words(['up', '--launcher', ''])).toEqual(['linux', 'posix'])
    expect(words(['up', '--launcher', 'p'])).toEqual(['posix'])
    expect(words(['completion', ''])).toEqual(['bash', 'fish', 'zsh'])
  })
  test('a task argument asks for the cluster’s tasks, from the typed --master if any', () => {
    expect(completionsFor(['task', 'kill', 'we'], spec)).toEqual({ kind: 'tasks', prefix: 'we' })
    expect(completionsFor(['task', 'logs', '-f', '--tail', '10', ''], spec)).toEqual({ kind: 'tasks', prefix: '' })
    expect(completionsFor(['task', 'attach', '--master', 'http://m:5050', ''], spec)).toEqual({ kind: 'tasks', prefix: '', master: 'http://m:5050' })
    expect(completionsFor(['task', 'exec', '--master=http://m:1', 'w'], spec)).toEqual({ kind: 'tasks', prefix: 'w', master: 'http://m:1' })
  })
  test('nothing after the task argument, after --, or under an unknown word (the shell then offers files)', () => {
    expect(words(['task', 'kill', 'web', ''])).toEqual([])
    expect(words(['task', 'run', '--', ''])).toEqual([])
    expect(words(['task', 'exec', 'web', '--', 'l'])).toEqual([])
    expect(words(['frobnicate', ''])).toEqual([])
    expect(words(['task', 'run', '--name', ''])).toEqual([])
  })
  test('meso help completes command words like the commands themselves', () => {
    expect(words(['help', 'task', 'l'])).toEqual(['list', 'logs'])
    expect(words(['help', ''])).toContain('task')
  })
})

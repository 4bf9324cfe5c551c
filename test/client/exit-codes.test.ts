// The CLI's exit codes (src/client/exit-codes.ts): from terminal statuses, and the table the docs show.

import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { EXIT, EXIT_CODE_TABLE, exitCodeFor, exitedOnItsOwn } from '../../src/client/exit-codes.ts'
import { exitStatusLabel } from '../../src/core/exit-status.ts'
import type { TaskState, TaskStatus } from '../../src/core/v1/messages.ts'

const status = (state: TaskState, extra: Partial<TaskStatus> = {}): TaskStatus => ({ task_id: { value: 't' }, state, ...extra })
const withWaitStatus = (ws: number, extra: Partial<TaskStatus> = {}): TaskStatus =>
  status('TASK_FAILED', { labels: { labels: [exitStatusLabel(ws)] }, ...extra })

describe('exit code of a terminal status', () => {
  test('by state', () => {
    expect(exitCodeFor(status('TASK_FINISHED'))).toBe(0)
    expect(exitCodeFor(status('TASK_KILLED'))).toBe(137)
    expect(exitCodeFor(status('TASK_ERROR'))).toBe(125)
    for (const s of ['TASK_LOST', 'TASK_GONE', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE_BY_OPERATOR'] as const) expect(exitCodeFor(status(s))).toBe(123)
  })

  test('a failed task exits with its command: the label, not the message', () => {
    expect(exitCodeFor(withWaitStatus(3 << 8, { message: 'Command exited with status 3' }))).toBe(3)
    expect(exitCodeFor(withWaitStatus(15, { message: 'Command terminated with signal SIGTERM' }))).toBe(143)
    expect(exitCodeFor(withWaitStatus(40))).toBe(168)
    // English alone says nothing to the CLI.
    expect(exitCodeFor(status('TASK_FAILED', { message: 'Command exited with status 3' }))).toBe(1)
    expect(exitCodeFor(status('TASK_FAILED'))).toBe(1)
  })

  test('reasons that decide the code', () => {
    expect(exitCodeFor(withWaitStatus(256, { reason: 'REASON_CONTAINER_LIMITATION_MEMORY' }))).toBe(137)
    expect(exitCodeFor(status('TASK_FAILED', { reason: 'REASON_CONTAINER_LAUNCH_FAILED' }))).toBe(125)
    expect(exitCodeFor(withWaitStatus(5 << 8, { reason: 'REASON_EXECUTOR_TERMINATED' }))).toBe(5)
    expect(exitCodeFor(status('TASK_FAILED', { reason: 'REASON_MAX_COMPLETION_TIME_REACHED' }))).toBe(1)
  })

  test('whether the command simply exited non-zero (no error line then)', () => {
    expect(exitedOnItsOwn(withWaitStatus(3 << 8))).toBe(true)
    expect(exitedOnItsOwn(withWaitStatus(3 << 8, { reason: 'REASON_EXECUTOR_TERMINATED' }))).toBe(true)
    expect(exitedOnItsOwn(withWaitStatus(9))).toBe(false)
    expect(exitedOnItsOwn(withWaitStatus(256, { reason: 'REASON_CONTAINER_LIMITATION_MEMORY' }))).toBe(false)
    expect(exitedOnItsOwn(status('TASK_FAILED', { message: 'Command exited with status 3' }))).toBe(false)
    expect(exitedOnItsOwn({ ...withWaitStatus(3 << 8), state: 'TASK_KILLED' })).toBe(false)
  })
})

describe('the exit-code table', () => {
  const codes = EXIT_CODE_TABLE.map(r => r.code)

  test('names every fixed code once', () => {
    expect(new Set(codes).size).toBe(codes.length)
    for (const c of Object.values(EXIT)) expect(codes).toContain(String(c))
  })

  /** The rows of the markdown table that follows `heading` in `file`. */
  const tableAfter = (file: string, heading: string) => {
    const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')
    const rows: { code: string; meaning: string }[] = []
    for (const line of text.slice(text.indexOf(heading)).split('\n').slice(1)) {
      const m = /^\| ([^|]+) \| (.+) \|$/.exec(line.trim())
      if (m) { if (m[1] !== 'code' && !m[1]!.startsWith('---')) rows.push({ code: m[1]!, meaning: m[2]! }) } else if (rows.length) break
    }
    return rows
  }

  test('docs/exit-status.md shows the module table', () => {
    expect(tableAfter('docs/exit-status.md', "## `meso task run`'s exit codes")).toEqual([...EXIT_CODE_TABLE])
  })

  test('the README lists the same codes', () => {
    expect(tableAfter('README.md', '### Exit codes').map(r => r.code)).toEqual(codes)
  })
})

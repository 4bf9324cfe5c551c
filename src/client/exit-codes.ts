// The CLI's exit codes, the one place they live in code (the table in docs/exit-status.md and README "Exit codes"
// says the same; test/client/exit-codes.test.ts keeps them in step). A task's own exit code comes from the raw wait
// status its terminal status carries in the `meso.io/exit-status` label, never from the English message.

import { exitCodeOf, exitCodeOfSignal, exitStatus, waitStatusFromLabels } from '../core/exit-status.ts'
import type { TaskStatus } from '../core/v1/messages.ts'

export const EXIT = {
  OK: 0,
  /** The operation failed (API error), or the task failed without an exit status. */
  FAILED: 1,
  /** Usage error: bad flag, missing argument (oclif's parse errors exit 2 too). */
  USAGE: 2,
  /** meso lost track of the task (TASK_LOST, TASK_GONE, TASK_DROPPED, TASK_UNREACHABLE). */
  LOST: 123,
  /** meso failed before the command ran: cluster unreachable, no fitting offer, TASK_ERROR, launch failure. */
  LAUNCH_FAILED: 125,
  /** TASK_KILLED, or OOM-killed (as if by SIGKILL). */
  KILLED: exitCodeOfSignal('SIGKILL'),
} as const

/** The exit-code table users read, in the order the docs list it. */
export const EXIT_CODE_TABLE: readonly { code: string; meaning: string }[] = [
  { code: String(EXIT.OK), meaning: 'success (`task run`: the command exited 0)' },
  { code: 'N', meaning: "`task run`: the command's own exit code" },
  { code: '128+S', meaning: 'the command was killed by signal S' },
  { code: String(EXIT.KILLED), meaning: 'the task was killed (`TASK_KILLED`, or OOM-killed for exceeding its memory: `REASON_CONTAINER_LIMITATION_MEMORY`)' },
  { code: String(EXIT.FAILED), meaning: 'the operation failed (API error)' },
  { code: String(EXIT.USAGE), meaning: 'usage error (bad flag, missing argument)' },
  { code: String(EXIT.LOST), meaning: 'the task was lost (`TASK_LOST`, `TASK_GONE`, `TASK_DROPPED`, `TASK_UNREACHABLE`: meso lost track of it)' },
  { code: String(EXIT.LAUNCH_FAILED), meaning: 'meso failed before the command ran: cluster unreachable, no agent can ever fit the task (at once) or none had room before `--timeout`, `TASK_ERROR`, or the container failed to launch' },
]

/** The exit code `meso task run` ends with for a task's terminal status. */
export function exitCodeFor(status: TaskStatus): number {
  switch (status.state) {
    case 'TASK_FINISHED': return EXIT.OK
    case 'TASK_KILLED': return EXIT.KILLED
    case 'TASK_ERROR': return EXIT.LAUNCH_FAILED
    case 'TASK_FAILED': {
      if (status.reason === 'REASON_CONTAINER_LIMITATION_MEMORY') return EXIT.KILLED
      if (status.reason === 'REASON_CONTAINER_LAUNCH_FAILED') return EXIT.LAUNCH_FAILED
      const ws = waitStatusFromLabels(status.labels)
      return ws === undefined ? EXIT.FAILED : exitCodeOf(ws)
    }
    default: return EXIT.LOST
  }
}

/**
 * Whether a failed task's command simply exited with a non-zero code of its own (not a signal, not a limitation):
 * its output already told the story, so `task run` adds no error line.
 */
export function exitedOnItsOwn(status: TaskStatus): boolean {
  if (status.state !== 'TASK_FAILED' || (status.reason !== undefined && status.reason !== 'REASON_EXECUTOR_TERMINATED')) return false
  const ws = waitStatusFromLabels(status.labels)
  return ws !== undefined && exitStatus(ws) !== undefined
}

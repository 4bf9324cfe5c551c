// The executors' terminal statuses (src/agent/executors/terminal-status.ts): Mesos' message for people, the raw wait
// status in the meso.io/exit-status label for programs, a limitation's reason and resources.

import { describe, expect, test } from 'bun:test'
import { executorEndedStatus, exitMessage, launchFailedStatus, maxCompletionTimeStatus, processEndedStatus } from '../../../src/agent/executors/terminal-status.ts'
import { waitStatusOf } from '../../../src/core/exit-status.ts'

const exited = (code: number) => ({ exitCode: code, waitStatus: waitStatusOf(code) })
const label = (ws: number) => ({ labels: [{ key: 'meso.io/exit-status', value: String(ws) }] })

describe('a task process that ended', () => {
  test('exit 0 finishes, any other code fails, with the wait status labelled', () => {
    expect(processEndedStatus(exited(0), false)).toEqual({ state: 'TASK_FINISHED', source: 'SOURCE_EXECUTOR', message: 'Command exited with status 0', labels: label(0) })
    expect(processEndedStatus(exited(3), false)).toEqual({ state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', message: 'Command exited with status 3', labels: label(768) })
    expect(processEndedStatus(exited(143), false)).toEqual({ state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', message: 'Command terminated with signal SIGTERM', labels: label(15) })
  })

  test('after a kill request it is KILLED, however it ended', () => {
    expect(processEndedStatus(exited(137), true)).toEqual({ state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message: 'Command terminated with signal SIGKILL', labels: label(9) })
    expect(processEndedStatus(exited(0), true).state).toBe('TASK_KILLED')
    expect(processEndedStatus({ unknown: 'gone' }, true)).toEqual({ state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message: 'Exit status unknown: gone' })
  })

  test('an unknown exit status fails the task as REASON_EXECUTOR_TERMINATED, without a label', () => {
    expect(processEndedStatus({ unknown: 'the container monitor exited without recording an exit status' }, false)).toEqual({
      state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED',
      message: 'Exit status unknown: the container monitor exited without recording an exit status',
    })
  })

  test('a limitation fails the task with its reason, message and resources', () => {
    const resources = [{ name: 'mem', type: 'SCALAR' as const, scalar: { value: 32 } }]
    const t = { ...exited(137), limitation: { reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'Memory limit exceeded: Requested: 32MB Maximum Used: 32MB', resources } }
    expect(processEndedStatus(t, false)).toEqual({
      state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'Memory limit exceeded: Requested: 32MB Maximum Used: 32MB',
      limitation: { resources }, labels: label(9),
    })
    const { limitation: _, ...withoutResources } = processEndedStatus({ ...t, limitation: { reason: 'R', message: 'm' } }, true)
    expect(_).toBeUndefined()
    expect(withoutResources.state).toBe('TASK_FAILED')
  })

  test('a termination with only an exit code still gets its wait status', () => {
    expect(processEndedStatus({ exitCode: 2 }, false).labels).toEqual(label(512))
    expect(exitMessage({ exitCode: 130 })).toBe('Command terminated with signal SIGINT')
  })
})

describe('other terminal statuses', () => {
  test("a custom executor's end fails (or kills) its unfinished tasks", () => {
    expect(executorEndedStatus(exited(5), false)).toEqual({
      state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: 'Executor terminated: Command exited with status 5', labels: label(1280),
    })
    expect(executorEndedStatus(exited(137), true).state).toBe('TASK_KILLED')
    expect(executorEndedStatus({ unknown: 'lost' }, false).labels).toBeUndefined()
  })

  test('launch failures and the completion deadline carry no exit status', () => {
    expect(launchFailedStatus('Failed to launch container: boom')).toEqual({ state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: 'Failed to launch container: boom' })
    expect(maxCompletionTimeStatus()).toEqual({ state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', reason: 'REASON_MAX_COMPLETION_TIME_REACHED', message: 'Task reached its maximum completion time' })
  })
})

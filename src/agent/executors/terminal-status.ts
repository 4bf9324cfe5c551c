// The terminal statuses the built-in executors report, built in one place (pure; docs/exit-status.md). A status that
// reports a process's end carries Mesos' message for humans ("Command exited with status 3", as Mesos' command
// executor writes it in src/launcher/executor.cpp) and the raw wait status in the `meso.io/exit-status` label for
// programs; a container limitation (OOM) fails the task with the isolator's reason, message and `limitation`.

import { describeWaitStatus, exitCodeOf, exitStatusLabel, waitStatusOf } from '../../core/exit-status.ts'
import type { TaskStatus } from '../../core/v1/messages.ts'
import type { Termination } from '../containerizer/launcher.ts'

/** What an executor hands to ExecutorHost.update: a status without its task id (the host fills it in). */
export type ExecutorStatus = Omit<TaskStatus, 'task_id'>

/** The wait status of a termination whose exit status is known. */
function waitStatusOfTermination(t: Termination): number | undefined {
  if (t.unknown) return undefined
  return t.waitStatus ?? waitStatusOf(t.exitCode ?? 0)
}

/** Mesos' command executor wording for how the process ended. */
export function exitMessage(t: Termination): string {
  const ws = waitStatusOfTermination(t)
  return ws === undefined ? `Exit status unknown: ${t.unknown}` : `Command ${describeWaitStatus(ws)}`
}

/** The exit-status label, when the termination has a wait status. */
function exitLabels(t: Termination): Pick<TaskStatus, 'labels'> {
  const ws = waitStatusOfTermination(t)
  return ws === undefined ? {} : { labels: { labels: [exitStatusLabel(ws)] } }
}

/**
 * The terminal status of a task whose own process (the command executor's container, a default executor's nested
 * container) ended: FINISHED on exit 0, KILLED after a kill, FAILED otherwise.
 */
export function processEndedStatus(t: Termination, killRequested: boolean): ExecutorStatus {
  if (t.limitation) {
    const s: ExecutorStatus = { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: t.limitation.reason, message: t.limitation.message, ...exitLabels(t) }
    if (t.limitation.resources) s.limitation = { resources: t.limitation.resources as NonNullable<TaskStatus['limitation']>['resources'] }
    return s
  }
  const message = exitMessage(t)
  const ws = waitStatusOfTermination(t)
  if (killRequested) return { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message, ...exitLabels(t) }
  if (ws === undefined) return { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message }
  return { state: exitCodeOf(ws) === 0 ? 'TASK_FINISHED' : 'TASK_FAILED', source: 'SOURCE_EXECUTOR', message, ...exitLabels(t) }
}

/** The status of a task left unfinished when its (custom) executor's process ended; the label holds the executor's wait status. */
export function executorEndedStatus(t: Termination, killRequested: boolean): ExecutorStatus {
  return {
    state: killRequested ? 'TASK_KILLED' : 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED',
    message: `Executor terminated: ${exitMessage(t)}`, ...exitLabels(t),
  }
}

/** A task whose container (or its executor's) could not be launched. */
export function launchFailedStatus(message: string): ExecutorStatus {
  return { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message }
}

/**
 * A task killed while its container was still being launched (its image pulled): the launch is abandoned, as Mesos'
 * agent answers a kill of a task not yet delivered to its executor (Slave::killTask in src/slave/slave.cpp).
 */
export function killedDuringLaunchStatus(): ExecutorStatus {
  return { state: 'TASK_KILLED', source: 'SOURCE_AGENT', reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: 'Task killed while its container was being launched' }
}

/** A task the command executor killed for running past TaskInfo.max_completion_time. */
export function maxCompletionTimeStatus(): ExecutorStatus {
  return { state: 'TASK_FAILED', source: 'SOURCE_EXECUTOR', reason: 'REASON_MAX_COMPLETION_TIME_REACHED', message: 'Task reached its maximum completion time' }
}

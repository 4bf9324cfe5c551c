// Status updates the master generates itself (invalid offers, reconciliation, lost agents). They carry
// source SOURCE_MASTER and never a uuid, so schedulers do not acknowledge them.

import type { StatusSource, Task, TaskState, TaskStatus } from '../core/v1/messages.ts'

/** `now` in ms since the epoch. */
export function masterStatus(now: number, taskId: string, state: TaskState, reason: string, message?: string, extra: Partial<TaskStatus> = {}): TaskStatus {
  const s: TaskStatus = { task_id: { value: taskId }, state, source: 'SOURCE_MASTER' as StatusSource, reason, timestamp: now / 1000 }
  if (message) s.message = message
  return { ...s, ...extra }
}

/** The latest status of a known task, re-stamped for reconciliation. */
export function reconciliationStatus(task: Task, now: number): TaskStatus {
  const last = task.statuses?.[task.statuses.length - 1]
  const s: TaskStatus = {
    task_id: task.task_id,
    // The state of the update the framework has yet to acknowledge, as Mesos' Master::reconcile answers: a framework
    // must not hear TASK_FINISHED from reconciliation and then TASK_RUNNING from the agent's queued updates.
    state: task.status_update_state ?? task.state,
    source: 'SOURCE_MASTER',
    reason: 'REASON_RECONCILIATION',
    agent_id: task.agent_id,
    timestamp: now / 1000,
  }
  if (task.executor_id) s.executor_id = task.executor_id
  if (last?.message) s.message = last.message
  if (last?.healthy !== undefined) s.healthy = last.healthy
  if (last?.container_status) s.container_status = last.container_status
  if (last?.unreachable_time) s.unreachable_time = last.unreachable_time
  if (last?.labels) s.labels = last.labels
  return s
}

/** Non-partition-aware frameworks only know TASK_LOST for every "gone/unknown" outcome. */
export const forFramework = (state: TaskState, partitionAware: boolean): TaskState =>
  partitionAware ? state : (['TASK_UNREACHABLE', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN', 'TASK_DROPPED'].includes(state) ? 'TASK_LOST' : state)

// Task reconciliation as Mesos' Master::reconcile does it (upstream src/master/master.cpp), decided over a
// read-only view of the master.

import type { Task, TaskStatus } from '../core/v1/messages.ts'
import { forFramework, masterStatus, reconciliationStatus } from './task-status.ts'

export interface ReconciliationView {
  partitionAware: boolean
  /** Active and unreachable tasks of the framework. */
  findTask(taskId: string): Task | undefined
  allTasks(): Iterable<Task>
  agentState(agentId: string): 'registered' | 'disconnected' | 'recovered' | 'unreachable' | 'gone' | 'unknown'
  /** True while some agent from the registry has not re-registered since the master started. */
  anyRecoveredAgent(): boolean
  /** When an unreachable agent was marked so (ms since the epoch). */
  agentUnreachableTime?(agentId: string): number | undefined
}

/** Replies for a RECONCILE call; an empty `tasks` list means implicit reconciliation of everything known. */
/** `now` (ms since the epoch) stamps the replies. */
export function reconcile(view: ReconciliationView, tasks: { task_id: { value: string }; agent_id?: { value: string } }[], now: number): TaskStatus[] {
  if (!tasks.length) return [...view.allTasks()].map(t => withState(reconciliationStatus(t, now), view.partitionAware))
  const out: TaskStatus[] = []
  for (const req of tasks) {
    const id = req.task_id.value
    const task = view.findTask(id)
    if (task) { out.push(withState(reconciliationStatus(task, now), view.partitionAware)); continue }
    const agentId = req.agent_id?.value
    const extra = agentId ? { agent_id: { value: agentId } } : {}
    if (!agentId) {
      // Without an agent id the master cannot tell "gone" from "agent not back yet" while any agent is recovering.
      if (view.anyRecoveredAgent()) continue
      out.push(masterStatus(now, id, forFramework('TASK_UNKNOWN', view.partitionAware), 'REASON_RECONCILIATION', 'Reconciliation: Task is unknown'))
      continue
    }
    switch (view.agentState(agentId)) {
      case 'recovered': break // no reply until the agent re-registers or times out
      case 'registered':
      case 'disconnected':
        out.push(masterStatus(now, id, forFramework('TASK_GONE', view.partitionAware), 'REASON_RECONCILIATION', 'Reconciliation: Task is unknown to the agent', extra))
        break
      case 'unreachable': {
        // With the time the agent became unreachable, as upstream's _reconcileTasks says it.
        const since = view.agentUnreachableTime?.(agentId)
        const when = since !== undefined ? { unreachable_time: { nanoseconds: Math.round(since) * 1e6 } } : {}
        out.push(masterStatus(now, id, forFramework('TASK_UNREACHABLE', view.partitionAware), 'REASON_RECONCILIATION', 'Reconciliation: Task is unreachable', { ...extra, ...when }))
        break
      }
      case 'gone':
        out.push(masterStatus(now, id, forFramework('TASK_GONE_BY_OPERATOR', view.partitionAware), 'REASON_RECONCILIATION', 'Reconciliation: Task is gone', extra))
        break
      default:
        out.push(masterStatus(now, id, forFramework('TASK_UNKNOWN', view.partitionAware), 'REASON_RECONCILIATION', 'Reconciliation: Task is unknown', extra))
    }
  }
  return out
}

function withState(s: TaskStatus, partitionAware: boolean): TaskStatus {
  return { ...s, state: forFramework(s.state, partitionAware) }
}

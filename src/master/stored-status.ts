// The copy of a TaskStatus the master keeps in `task.statuses`: the same JSON with fewer objects. A master running
// 100k tasks holds 200-300k statuses, and each parsed status is a dozen small objects, most of them equal to objects
// the task already has: its task and agent ids, the previous status's executor and container ids, and network infos
// that are the same few addresses across the whole cluster. Those are shared instead of copied. Nothing in the master
// modifies a stored status or its parts in place, which is what makes sharing them safe.

import type { Task, TaskStatus } from '../core/v1/messages.ts'

/** Bounded: addresses repeat; a flood of distinct ones only stops being shared. */
const MAX_INTERNED = 10_000
const interned = new Map<string, unknown>()

function intern<T>(value: T): T {
  const key = JSON.stringify(value)
  const have = interned.get(key)
  if (have !== undefined) return have as T
  if (interned.size >= MAX_INTERNED) interned.clear()
  interned.set(key, value)
  return value
}

const same = (a: unknown, b: unknown) => a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b))

export function storedStatus(task: Task, status: TaskStatus): TaskStatus {
  const s: TaskStatus = { ...status }
  if (s.task_id && s.task_id.value === task.task_id.value) s.task_id = task.task_id
  if (s.agent_id && task.agent_id && s.agent_id.value === task.agent_id.value) s.agent_id = task.agent_id
  const prev = task.statuses?.[task.statuses.length - 1]
  if (s.executor_id && prev?.executor_id?.value === s.executor_id.value) s.executor_id = prev.executor_id
  if (s.container_status) {
    const cs = { ...s.container_status }
    const prevCs = prev?.container_status
    if (cs.container_id && prevCs?.container_id && same(cs.container_id, prevCs.container_id)) cs.container_id = prevCs.container_id
    if (cs.network_infos) cs.network_infos = intern(cs.network_infos)
    s.container_status = cs
  }
  return s
}

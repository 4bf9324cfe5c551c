// The tasks table: filter by state group, search, sort. Pure.

import { isTerminal, lastTimestamp, taskIps, type WireTask } from './cluster-state.ts'
import { portsOf, scalarsOf } from './resources.ts'

export type TaskFilter = 'active' | 'completed' | 'all'
export type TaskSortKey = 'name' | 'id' | 'state' | 'agent' | 'cpus' | 'mem' | 'updated'

export interface TaskQuery {
  filter: TaskFilter
  /** Words that must all occur (case-insensitive) in the task's id, name, state, agent host, IPs or framework name. */
  search: string
  sort: TaskSortKey
  descending: boolean
}

export const DEFAULT_TASK_QUERY: TaskQuery = { filter: 'active', search: '', sort: 'updated', descending: true }

export interface TaskRow {
  key: string
  task: WireTask
  agentHost: string
  frameworkName: string
  cpus: number
  mem: number
  ports: string
  ips: string[]
  updated: number
}

/** What the table needs of a task, resolved once per render. */
export function taskRow(key: string, task: WireTask, agentHost: (id: string) => string, frameworkName: (id: string) => string): TaskRow {
  const s = scalarsOf(task.resources)
  return {
    key, task, agentHost: agentHost(task.agent_id.value), frameworkName: frameworkName(task.framework_id.value),
    cpus: s.cpus, mem: s.mem, ports: portsOf(task.resources), ips: taskIps(task), updated: lastTimestamp(task),
  }
}

export function matchesFilter(t: WireTask, filter: TaskFilter): boolean {
  if (filter === 'all') return true
  return filter === 'completed' ? isTerminal(t.state) : !isTerminal(t.state)
}

export function matchesSearch(row: TaskRow, search: string): boolean {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean)
  if (!words.length) return true
  const hay = [row.task.task_id.value, row.task.name, row.task.state, row.agentHost, row.frameworkName, ...row.ips].join(' ').toLowerCase()
  return words.every(w => hay.includes(w))
}

const compareBy: Record<TaskSortKey, (a: TaskRow, b: TaskRow) => number> = {
  name: (a, b) => a.task.name.localeCompare(b.task.name),
  id: (a, b) => a.task.task_id.value.localeCompare(b.task.task_id.value),
  state: (a, b) => a.task.state.localeCompare(b.task.state),
  agent: (a, b) => a.agentHost.localeCompare(b.agentHost),
  cpus: (a, b) => a.cpus - b.cpus,
  mem: (a, b) => a.mem - b.mem,
  updated: (a, b) => a.updated - b.updated,
}

/** Filtered, searched and sorted rows; ties keep a stable order by task id. */
export function queryTasks(rows: TaskRow[], q: TaskQuery): TaskRow[] {
  const cmp = compareBy[q.sort]
  const dir = q.descending ? -1 : 1
  return rows
    .filter(r => matchesFilter(r.task, q.filter) && matchesSearch(r, q.search))
    .sort((a, b) => dir * cmp(a, b) || a.task.task_id.value.localeCompare(b.task.task_id.value))
}

/** Clicking a column header: the same column flips the direction; another starts descending for numbers and times. */
export function toggleSort(q: TaskQuery, key: TaskSortKey): TaskQuery {
  if (q.sort === key) return { ...q, descending: !q.descending }
  return { ...q, sort: key, descending: key === 'cpus' || key === 'mem' || key === 'updated' }
}

// The tasks table: active / completed / all, search (`/` focuses it), sort by any column.

import { useMemo, useState } from 'preact/hooks'
import { formatAgo, formatCount, formatMb } from '../model/format.ts'
import { DEFAULT_TASK_QUERY, queryTasks, taskRow, toggleSort, type TaskFilter, type TaskQuery, type TaskSortKey } from '../model/task-query.ts'
import { Empty, LinkRow, NavTable, StateBadge } from './common.ts'
import { html } from './html.ts'
import { useStore } from './store.ts'

/** Rows shown at once; a search narrows a larger list. */
const MAX_ROWS = 500

export const taskHref = (frameworkId: string, taskId: string) => `#/tasks/${encodeURIComponent(frameworkId)}/${encodeURIComponent(taskId)}`

export function Tasks({ search }: { search?: string }) {
  const { cluster } = useStore()
  const [q, setQ] = useState<TaskQuery>({ ...DEFAULT_TASK_QUERY, search: search ?? '' })
  const rows = useMemo(() => {
    const host = (id: string) => cluster.agents.get(id)?.agent_info.hostname ?? id
    const fw = (id: string) => (cluster.frameworks.get(id) ?? cluster.completedFrameworks.get(id))?.framework_info.name ?? id
    return queryTasks([...cluster.tasks].map(([k, t]) => taskRow(k, t, host, fw)), q)
  }, [cluster.version, q])
  const th = (key: TaskSortKey, label: string, cls = '') => {
    const sorted = q.sort === key
    return html`<th class=${cls} aria-sort=${sorted ? (q.descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" class="sort" onClick=${() => setQ(toggleSort(q, key))}>${label}${sorted ? (q.descending ? ' ▾' : ' ▴') : ''}</button></th>`
  }
  const filters: TaskFilter[] = ['active', 'completed', 'all']
  const now = Date.now()
  return html`<section class="page">
    <h1>Tasks <small>${rows.length}</small></h1>
    <div class="toolbar">
      <div class="segmented" role="group" aria-label="Which tasks">
        ${filters.map(f => html`<button type="button" aria-pressed=${q.filter === f} onClick=${() => setQ({ ...q, filter: f })}>${f}</button>`)}
      </div>
      <input type="search" id="search" placeholder="Search id, name, state, agent, IP  ( / )" aria-label="Search tasks" value=${q.search}
        onInput=${(e: Event) => setQ({ ...q, search: (e.target as HTMLInputElement).value })} />
    </div>
    ${rows.length ? html`<${NavTable} label="Tasks" head=${html`<tr>${th('name', 'Name')}${th('id', 'Id')}${th('state', 'State')}${th('agent', 'Agent')}<th>IPs / ports</th>${th('cpus', 'CPUs', 'num')}${th('mem', 'Mem', 'num')}${th('updated', 'Updated', 'num')}</tr>`}>
      ${rows.slice(0, MAX_ROWS).map(r => html`<${LinkRow} href=${taskHref(r.task.framework_id.value, r.task.task_id.value)} id=${r.task.task_id.value}>
        <td><a href=${taskHref(r.task.framework_id.value, r.task.task_id.value)}>${r.task.name}</a></td>
        <td><code>${r.task.task_id.value}</code></td>
        <td><${StateBadge} state=${r.task.state} /></td>
        <td>${r.agentHost}</td>
        <td>${[r.ips.join(', '), r.ports].filter(Boolean).join(' · ')}</td>
        <td class="num">${formatCount(r.cpus)}</td><td class="num">${formatMb(r.mem)}</td>
        <td class="num">${formatAgo(r.updated, now)}</td>
      </${LinkRow}>`)}
    </${NavTable}>
    ${rows.length > MAX_ROWS ? html`<p class="note">Showing ${MAX_ROWS} of ${rows.length}; search to narrow.</p>` : null}` : html`<${Empty}>${cluster.subscribed ? 'No tasks match.' : 'Loading…'}</${Empty}>`}
  </section>`
}

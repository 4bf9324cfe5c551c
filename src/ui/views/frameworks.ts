// Frameworks: the table, and one framework's page.

import { isTerminal, usedBy, type WireFramework } from '../model/cluster-state.ts'
import { formatCount, formatMb, formatTime, timeInfoSeconds } from '../model/format.ts'
import { zeroScalars } from '../model/resources.ts'
import { Empty, Fields, LinkRow, NavTable, StateBadge } from './common.ts'
import { html } from './html.ts'
import { useStore } from './store.ts'

const roles = (f: WireFramework) => (f.framework_info.roles ?? (f.framework_info.role ? [f.framework_info.role] : ['*'])).join(', ')
const status = (f: WireFramework, completed: boolean) => (completed ? 'completed' : !f.connected ? 'disconnected' : f.active ? 'active' : 'inactive')

export function Frameworks() {
  const { cluster } = useStore()
  const rows = [...[...cluster.frameworks].map(([id, f]) => ({ id, f, completed: false })), ...[...cluster.completedFrameworks].map(([id, f]) => ({ id, f, completed: true }))]
  const activeTasks = (id: string) => [...cluster.tasks.values()].filter(t => t.framework_id.value === id && !isTerminal(t.state)).length
  const usedByFramework = usedBy(cluster.tasks.values(), t => t.framework_id.value)
  return html`<section class="page">
    <h1>Frameworks <small>${cluster.frameworks.size}</small></h1>
    ${rows.length ? html`<${NavTable} label="Frameworks" head=${html`<tr><th>Name</th><th>Id</th><th>Status</th><th>Roles</th><th>User</th><th class="num">Tasks</th><th class="num">CPUs</th><th class="num">Mem</th><th>Registered</th></tr>`}>
      ${rows.map(({ id, f, completed }) => {
        const used = usedByFramework.get(id) ?? zeroScalars()
        return html`<${LinkRow} href=${`#/frameworks/${encodeURIComponent(id)}`} id=${id}>
          <td><a href=${`#/frameworks/${encodeURIComponent(id)}`}>${f.framework_info.name}</a></td>
          <td><code>${id}</code></td>
          <td><span class=${`badge ${completed ? 'done' : f.connected ? 'ok' : 'busy'}`}>${status(f, completed)}</span></td>
          <td>${roles(f)}</td><td>${f.framework_info.user}</td>
          <td class="num">${activeTasks(id)}</td><td class="num">${formatCount(used.cpus)}</td><td class="num">${formatMb(used.mem)}</td>
          <td>${formatTime(timeInfoSeconds(f.registered_time))}</td>
        </${LinkRow}>`
      })}
    </${NavTable}>` : html`<${Empty}>No frameworks.</${Empty}>`}
  </section>`
}

export function FrameworkPage({ id }: { id: string }) {
  const { cluster } = useStore()
  const completed = !cluster.frameworks.has(id)
  const f = cluster.frameworks.get(id) ?? cluster.completedFrameworks.get(id)
  if (!f) return html`<section class="page"><h1>Framework <code>${id}</code></h1><${Empty}>${cluster.subscribed ? 'No such framework.' : 'Loading…'}</${Empty}></section>`
  const tasks = [...cluster.tasks].filter(([, t]) => t.framework_id.value === id).sort(([, a], [, b]) => Number(isTerminal(a.state)) - Number(isTerminal(b.state)))
  const used = usedBy(cluster.tasks.values(), t => t.framework_id.value).get(id) ?? zeroScalars()
  return html`<section class="page">
    <p class="crumbs"><a href="#/frameworks">Frameworks</a> /</p>
    <h1>${f.framework_info.name}</h1>
    <${Fields} rows=${[
      ['id', html`<code>${id}</code>`], ['status', status(f, completed)], ['roles', roles(f)], ['user', f.framework_info.user],
      ['principal', f.framework_info.principal], ['hostname', f.framework_info.hostname],
      ['web UI', f.framework_info.webui_url ? html`<a href=${f.framework_info.webui_url} rel="noreferrer">${f.framework_info.webui_url}</a>` : undefined],
      ['capabilities', (f.framework_info.capabilities ?? []).map(c => c.type).join(', ') || undefined],
      ['registered', formatTime(timeInfoSeconds(f.registered_time))],
      ['allocated', `${formatCount(used.cpus)} cpus, ${formatMb(used.mem)} mem, ${formatMb(used.disk)} disk, ${formatCount(used.gpus)} gpus`],
    ]} />
    <h2>Tasks <small>${tasks.length}</small></h2>
    ${tasks.length ? html`<${NavTable} label="Tasks of this framework" head=${html`<tr><th>Task</th><th>Id</th><th>State</th><th>Agent</th></tr>`}>
      ${tasks.map(([, t]) => {
        const href = `#/tasks/${encodeURIComponent(t.framework_id.value)}/${encodeURIComponent(t.task_id.value)}`
        return html`<${LinkRow} href=${href}><td><a href=${href}>${t.name}</a></td><td><code>${t.task_id.value}</code></td><td><${StateBadge} state=${t.state} /></td><td>${cluster.agents.get(t.agent_id.value)?.agent_info.hostname ?? t.agent_id.value}</td></${LinkRow}>`
      })}
    </${NavTable}>` : html`<${Empty}>None.</${Empty}>`}
  </section>`
}

// Agents: the table, and one agent's page (attributes, resources by reservation, drain and maintenance state, tasks).

import { agentAddress, isTerminal, usedBy, type WireAgent, type WireAttribute } from '../model/cluster-state.ts'
import { formatAgo, formatCount, formatMb, formatTime, timeInfoSeconds } from '../model/format.ts'
import { machineMode, type MaintenanceStatus } from '../model/maintenance.ts'
import { operatorCall } from '../api/http.ts'
import { byReservation, formatRanges, scalarsOf, volumesOf, zeroScalars } from '../model/resources.ts'
import { Empty, Fields, LinkRow, Meter, NavTable, StateBadge } from './common.ts'
import { html } from './html.ts'
import { usePolled } from './polled.ts'
import { useStore } from './store.ts'

/** The maintenance status, re-read every 10 s while an agents page is open (it is not on the event stream). */
function useMaintenance(): MaintenanceStatus | undefined {
  return usePolled('maintenance', async signal =>
    (await operatorCall<{ get_maintenance_status?: { status?: MaintenanceStatus } }>({ type: 'GET_MAINTENANCE_STATUS' }, signal)).get_maintenance_status?.status ?? {}, 10_000).data
}

export function agentStatus(a: WireAgent, maintenance?: MaintenanceStatus): string {
  const mode = machineMode(a, maintenance)
  if (mode === 'DOWN') return 'machine down'
  if (a.drain_info?.state) return a.drain_info.state.toLowerCase()
  if (mode === 'DRAINING') return 'machine draining'
  if (a.deactivated) return 'deactivated'
  return a.active ? 'active' : 'disconnected'
}

export function attributeText(a: WireAttribute): string {
  if (a.text) return a.text.value
  if (a.scalar) return formatCount(a.scalar.value)
  if (a.ranges) return formatRanges(a.ranges.range ?? [])
  return ''
}

export function Agents() {
  const { cluster } = useStore()
  const agents = [...cluster.agents].sort(([, a], [, b]) => a.agent_info.hostname.localeCompare(b.agent_info.hostname))
  const usedByAgent = usedBy(cluster.tasks.values(), t => t.agent_id.value)
  const maintenance = useMaintenance()
  return html`<section class="page">
    <h1>Agents <small>${agents.length}</small></h1>
    ${agents.length ? html`<${NavTable} label="Agents" head=${html`<tr><th>Hostname</th><th>Address</th><th>Status</th><th class="num">CPUs</th><th class="num">Mem</th><th class="num">Disk</th><th class="num">GPUs</th><th>Attributes</th></tr>`}>
      ${agents.map(([id, a]) => {
        const total = scalarsOf(a.total_resources)
        const used = usedByAgent.get(id) ?? zeroScalars()
        return html`<${LinkRow} href=${`#/agents/${encodeURIComponent(id)}`} id=${id}>
          <td><a href=${`#/agents/${encodeURIComponent(id)}`}>${a.agent_info.hostname}</a></td>
          <td><code>${agentAddress(a)}</code></td>
          <td><span class=${`badge ${agentStatus(a, maintenance) === 'active' ? 'ok' : 'busy'}`}>${agentStatus(a, maintenance)}</span></td>
          <td class="num">${formatCount(used.cpus)} / ${formatCount(total.cpus)}</td>
          <td class="num">${formatMb(used.mem)} / ${formatMb(total.mem)}</td>
          <td class="num">${formatMb(used.disk)} / ${formatMb(total.disk)}</td>
          <td class="num">${formatCount(used.gpus)} / ${formatCount(total.gpus)}</td>
          <td>${(a.agent_info.attributes ?? []).map(at => `${at.name}:${attributeText(at)}`).join('; ')}</td>
        </${LinkRow}>`
      })}
    </${NavTable}>` : html`<${Empty}>No agents are registered.</${Empty}>`}
    ${cluster.goneAgents.size ? html`<h2>Unreachable or removed</h2><ul>${[...cluster.goneAgents.values()].map(g => html`<li>${g.hostname} <code>${g.id}</code> (${g.why})</li>`)}</ul>` : null}
  </section>`
}

export function AgentPage({ id }: { id: string }) {
  const { cluster } = useStore()
  const maintenance = useMaintenance()
  const a = cluster.agents.get(id)
  if (!a) {
    const gone = cluster.goneAgents.get(id)
    return html`<section class="page"><h1>Agent <code>${id}</code></h1><${Empty}>${gone ? `This agent was ${gone.why === 'removed' ? 'removed from the cluster' : 'not seen since the master recovered'}.` : cluster.subscribed ? 'No such agent.' : 'Loading…'}</${Empty}></section>`
  }
  const total = scalarsOf(a.total_resources)
  const used = usedBy(cluster.tasks.values(), t => t.agent_id.value).get(id) ?? zeroScalars()
  const tasks = [...cluster.tasks].filter(([, t]) => t.agent_id.value === id && !isTerminal(t.state))
  const volumes = volumesOf(a.total_resources)
  const drain = a.drain_info
  return html`<section class="page">
    <p class="crumbs"><a href="#/agents">Agents</a> /</p>
    <h1>${a.agent_info.hostname}</h1>
    <${Fields} rows=${[
      ['id', html`<code>${id}</code>`],
      ['address', html`<code>${agentAddress(a)}</code>`],
      ['status', agentStatus(a, maintenance)],
      ['maintenance', maintenance ? (machineMode(a, maintenance) ?? 'up (no maintenance)') : undefined],
      ['version', a.version],
      ['registered', formatTime(timeInfoSeconds(a.registered_time))],
      ['re-registered', a.reregistered_time ? `${formatAgo(timeInfoSeconds(a.reregistered_time))} ago` : undefined],
      ['drain', drain ? `${drain.state ?? ''}${drain.config?.mark_gone ? ' (mark gone)' : ''}${drain.config?.max_grace_period ? `, grace ${drain.config.max_grace_period.nanoseconds / 1e9}s` : ''}` : 'not draining'],
    ]} />
    <div class="cards usage">${(['cpus', 'mem', 'disk', 'gpus'] as const).map(k => html`<div class="card"><${Meter} name=${k} used=${used[k]} total=${total[k]} /></div>`)}</div>
    <h2>Attributes</h2>
    ${(a.agent_info.attributes ?? []).length ? html`<${Fields} rows=${(a.agent_info.attributes ?? []).map(at => [at.name, attributeText(at)])} />` : html`<${Empty}>None.</${Empty}>`}
    <h2>Resources by reservation</h2>
    <div class="table-wrap"><table aria-label="Resources by reservation"><thead><tr><th>Role</th><th class="num">CPUs</th><th class="num">Mem</th><th class="num">Disk</th><th class="num">GPUs</th><th>Ports</th></tr></thead>
      <tbody>${byReservation(a.total_resources).map(g => html`<tr><td>${g.role === '*' ? 'unreserved (*)' : g.role}</td><td class="num">${formatCount(g.scalars.cpus)}</td><td class="num">${formatMb(g.scalars.mem)}</td><td class="num">${formatMb(g.scalars.disk)}</td><td class="num">${formatCount(g.scalars.gpus)}</td><td>${g.ports}</td></tr>`)}</tbody></table></div>
    ${volumes.length ? html`<h2>Persistent volumes</h2><div class="table-wrap"><table aria-label="Persistent volumes"><thead><tr><th>Id</th><th>Role</th><th>Path</th><th class="num">Size</th></tr></thead>
      <tbody>${volumes.map(v => html`<tr><td><code>${v.id}</code></td><td>${v.role}</td><td>${v.path}</td><td class="num">${formatMb(v.mb)}</td></tr>`)}</tbody></table></div>` : null}
    <h2>Active tasks <small>${tasks.length}</small></h2>
    ${tasks.length ? html`<${NavTable} label="Tasks on this agent" head=${html`<tr><th>Task</th><th>State</th></tr>`}>
      ${tasks.map(([key, t]) => html`<${LinkRow} href=${`#/tasks/${key.split('/').map(encodeURIComponent).join('/')}`}><td><a href=${`#/tasks/${encodeURIComponent(t.framework_id.value)}/${encodeURIComponent(t.task_id.value)}`}>${t.name || t.task_id.value}</a></td><td><${StateBadge} state=${t.state} /></td></${LinkRow}>`)}
    </${NavTable}>` : html`<${Empty}>None.</${Empty}>`}
  </section>`
}

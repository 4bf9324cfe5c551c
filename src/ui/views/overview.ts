// The overview: usage now and over the last minutes, agents, frameworks, tasks by state, the leading master, alerts.

import { alertsOf } from '../model/alerts.ts'
import { countByState, isTerminal } from '../model/cluster-state.ts'
import { formatAgo, formatCount, formatMb } from '../model/format.ts'
import { CHARTED } from '../model/resources.ts'
import { deploymentAlerts } from '../model/services.ts'
import { Fields, Meter, Sparkline, StateBadge } from './common.ts'
import { html } from './html.ts'
import { useServices } from './services-store.ts'
import { SAMPLE_MS, SAMPLES, useStore } from './store.ts'

export function Overview() {
  const store = useStore()
  const c = store.cluster
  const { used, total } = store.usageNow()
  const now = Date.now()
  const services = useServices()
  const alerts = [...alertsOf(c, now), ...deploymentAlerts(services.deployments)]
  const apps = [...services.apps.values()]
  const counts = [...countByState(c.tasks.values())].sort(([a], [b]) => a.localeCompare(b))
  const active = [...c.tasks.values()].filter(t => !isTerminal(t.state)).length
  const activeAgents = [...c.agents.values()].filter(a => a.active).length
  const leader = store.leader
  return html`<section class="page overview">
    <h1>Overview</h1>
    ${alerts.length ? html`<ul class="alerts" aria-label="Alerts">${alerts.map(a => html`<li class=${`alert ${a.level}`}>${a.link ? html`<a href=${a.link}>${a.text}</a>` : a.text}</li>`)}</ul>` : null}
    <div class="cards usage">
      ${CHARTED.map(k => html`<div class="card">
        <${Meter} name=${k} used=${used[k]} total=${total[k]} />
        <${Sparkline} samples=${store.usage[k].samples()} max=${total[k]} spanMs=${SAMPLES * SAMPLE_MS} now=${now} label=${`${k} used over the last ${(SAMPLES * SAMPLE_MS) / 60000} minutes`} />
      </div>`)}
    </div>
    <div class="cards">
      <div class="card"><h2><a href="#/agents">Agents</a></h2><p class="big">${activeAgents}<small> active of ${c.agents.size}</small></p>
        ${c.goneAgents.size ? html`<p class="warn">${c.goneAgents.size} unreachable or removed</p>` : null}</div>
      <div class="card"><h2><a href="#/frameworks">Frameworks</a></h2><p class="big">${c.frameworks.size}<small> active, ${c.completedFrameworks.size} completed</small></p></div>
      <div class="card"><h2><a href="#/tasks">Tasks</a></h2><p class="big">${active}<small> active of ${c.tasks.size}</small></p>
        <ul class="states">${counts.map(([s, n]) => html`<li><${StateBadge} state=${s} /> ${n}</li>`)}</ul></div>
      ${services.stream.state === 'absent' ? null : html`<div class="card"><h2><a href="#/services">Services</a></h2><p class="big">${apps.length}<small> apps, ${apps.reduce((n, a) => n + (a.tasksRunning ?? 0), 0)} of ${apps.reduce((n, a) => n + a.instances, 0)} instances running</small></p>
        ${services.deployments.length ? html`<p class=${services.deployments.some(d => d.reason) ? 'warn' : ''}>${services.deployments.length} deployment${services.deployments.length > 1 ? 's' : ''} in progress</p>` : null}</div>`}
      <div class="card"><h2>Leading master</h2>
        <${Fields} rows=${[
          ['address', leader?.address],
          ['hostname', leader?.hostname],
          ['id', leader?.id ? html`<code>${leader.id}</code>` : undefined],
          ['version', leader?.version],
          ['elected', leader?.electedTime ? `${formatAgo(leader.electedTime, now)} ago` : undefined],
          ['capacity', `${formatCount(total.cpus)} cpus, ${formatMb(total.mem)}`],
        ]} />
        ${store.masters ? html`<h3>Masters <small>${store.masters.source === 'zookeeper' ? 'in ZooKeeper' : 'no --zk: this one alone'}</small></h3>
          <ul class="masters" aria-label="Masters">${store.masters.masters.map(m => html`<li><code>${m.address}</code> ${m.hostname ?? ''} ${m.leading ? html`<span class="badge ok">leading</span>` : html`<span class="badge done">standby</span>`}</li>`)}</ul>
          ${store.masters.errors?.map(e => html`<p class="warn">${e}</p>`)}` : null}</div>
    </div>
  </section>`
}

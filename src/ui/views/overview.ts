// The overview: usage now and over the last minutes, agents, frameworks, tasks by state, the leading master, alerts.

import { alertsOf } from '../model/alerts.ts'
import { countByState, isTerminal } from '../model/cluster-state.ts'
import { formatAgo, formatCount, formatMb } from '../model/format.ts'
import { CHARTED } from '../model/resources.ts'
import { Fields, Meter, Sparkline, StateBadge } from './common.ts'
import { html } from './html.ts'
import { SAMPLE_MS, SAMPLES, useStore } from './store.ts'

export function Overview() {
  const store = useStore()
  const c = store.cluster
  const { used, total } = store.usageNow()
  const now = Date.now()
  const alerts = alertsOf(c, now)
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
      <div class="card"><h2>Leading master</h2>
        <${Fields} rows=${[
          ['address', leader?.address],
          ['hostname', leader?.hostname],
          ['id', leader?.id ? html`<code>${leader.id}</code>` : undefined],
          ['version', leader?.version],
          ['elected', leader?.electedTime ? `${formatAgo(leader.electedTime, now)} ago` : undefined],
          ['capacity', `${formatCount(total.cpus)} cpus, ${formatMb(total.mem)}`],
        ]} /></div>
    </div>
  </section>`
}

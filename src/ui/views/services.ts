// Services (Marathon's /v2 API, docs/services.md): the list of apps with their instances and status, and an app's
// page with its definition, tasks, deployment in progress (and why it is stuck) and why its instances do not start
// (the queue's offer statistics). Live through /v2/events (services-store.ts).

import { useEffect } from 'preact/hooks'
import { formatAgo, formatCount, formatMb, formatTime } from '../model/format.ts'
import { appStatus, hasHealthChecks, queueItemOf, rejectBars, serviceHref, statusTone, taskHealth, type AppJson, type DeploymentJson, type QueueItemJson } from '../model/services.ts'
import { Empty, Fields, LinkRow, NavTable, StateBadge } from './common.ts'
import { html } from './html.ts'
import { servicesStore, useServices } from './services-store.ts'
import { useStore } from './store.ts'
import { taskHref } from './tasks.ts'

const seconds = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : undefined)

function StatusBadge({ app, queued }: { app: AppJson; queued?: QueueItemJson }) {
  const s = appStatus(app, queued)
  return html`<span class=${`badge ${statusTone(s)}`}>${s}</span>`
}

function StreamNote() {
  const { stream, error } = servicesStore
  if (stream.state === 'absent') return html`<${Empty}>This master runs no services scheduler (it was started with --no-services).</${Empty}>`
  return html`${stream.state === 'retrying' ? html`<p class="error">Service events: reconnecting in ${stream.inSeconds}s (${stream.error})</p>` : null}
    ${error ? html`<p class="error">${error}</p>` : null}`
}

const instances = (a: AppJson) => `${a.tasksRunning ?? 0} / ${a.instances}`

export function Services() {
  const s = useServices()
  useEffect(() => servicesStore.showQueue(), [])
  const apps = [...s.apps.values()].sort((a, b) => a.id.localeCompare(b.id))
  return html`<section class="page">
    <h1>Services <small>${apps.length}</small></h1>
    <${StreamNote} />
    ${s.stream.state === 'absent' ? null : !s.loaded ? html`<${Empty}>Loading…</${Empty}>` : apps.length ? html`<${NavTable} label="Services" head=${html`<tr><th>Id</th><th>Status</th><th class="num">Running / wanted</th><th class="num">Staged</th><th class="num">Healthy</th><th class="num">Unhealthy</th><th class="num">CPUs</th><th class="num">Mem</th><th>Command or image</th></tr>`}>
      ${apps.map(a => html`<${LinkRow} href=${serviceHref(a.id)} id=${a.id}>
        <td><a href=${serviceHref(a.id)}>${a.id}</a></td>
        <td><${StatusBadge} app=${a} queued=${queueItemOf(s.queue, a.id)} /></td>
        <td class="num">${instances(a)}</td>
        <td class="num">${a.tasksStaged ?? 0}</td>
        <td class="num">${hasHealthChecks(a) ? a.tasksHealthy ?? 0 : '–'}</td>
        <td class="num">${hasHealthChecks(a) ? a.tasksUnhealthy ?? 0 : '–'}</td>
        <td class="num">${formatCount(a.cpus)}</td><td class="num">${formatMb(a.mem)}</td>
        <td><code>${a.container?.docker?.image ?? a.cmd ?? (a.args ?? []).join(' ')}</code></td>
      </${LinkRow}>`)}
    </${NavTable}>` : html`<${Empty}>No services. Deploy one with <code>meso service deploy FILE</code> (or POST /v2/apps).</${Empty}>`}
  </section>`
}

export function ServicePage({ id }: { id: string }) {
  const s = useServices()
  const { cluster } = useStore()
  useEffect(() => servicesStore.watch(id), [id])
  useEffect(() => servicesStore.showQueue(), [])
  const app = s.apps.get(id)
  const crumbs = html`<p class="crumbs"><a href="#/services">Services</a> /</p>`
  if (!app) return html`<section class="page">${crumbs}<h1>${id}</h1><${StreamNote} /><${Empty}>${s.loaded ? 'No such service.' : 'Loading…'}</${Empty}></section>`
  const queued = queueItemOf(s.queue, id)
  const deployments = s.deployments.filter(d => d.affectedApps.includes(id))
  const hc = hasHealthChecks(app)
  // A task's page is keyed by its framework: find it among the tasks the operator stream shows.
  const frameworkOf = (taskId: string) => [...cluster.tasks.values()].find(t => t.task_id.value === taskId)?.framework_id.value
  const now = Date.now()
  const tasks = [...app.tasks ?? []].sort((a, b) => a.stagedAt.localeCompare(b.stagedAt))
  return html`<section class="page">
    ${crumbs}
    <h1>${app.id} <${StatusBadge} app=${app} queued=${queued} /></h1>
    <${StreamNote} />
    <${Fields} rows=${[
      ['instances', `${app.tasksRunning ?? 0} running of ${app.instances} wanted${app.tasksStaged ? `, ${app.tasksStaged} staged` : ''}${hc ? `, ${app.tasksHealthy ?? 0} healthy, ${app.tasksUnhealthy ?? 0} unhealthy` : ''}`],
      ['command', app.cmd ? html`<code>${app.cmd}</code>` : app.args?.length ? html`<code>${app.args.join(' ')}</code>` : undefined],
      ['image', app.container?.docker?.image],
      ['resources', `${formatCount(app.cpus)} cpus, ${formatMb(app.mem)} mem${app.disk ? `, ${formatMb(app.disk)} disk` : ''}${app.gpus ? `, ${formatCount(app.gpus)} gpus` : ''}`],
      ['role', app.role], ['user', app.user],
      ['constraints', app.constraints?.length ? app.constraints.map(c => c.join(':')).join(', ') : undefined],
      ['health checks', hc ? app.healthChecks!.map(h => `${h.protocol}${h.path ? ` ${h.path}` : ''}`).join(', ') : undefined],
      ['service ports', app.portDefinitions?.length ? app.portDefinitions.map(p => `${p.port}${p.name ? ` (${p.name})` : ''}`).join(', ') : undefined],
      ['version', app.version ? formatTime(seconds(app.version)) : undefined],
      ['last failure', app.lastTaskFailure ? `${app.lastTaskFailure.state} ${formatAgo(seconds(app.lastTaskFailure.timestamp), now)} ago: ${app.lastTaskFailure.message}` : undefined],
    ]} />
    ${deployments.map(d => html`<${Deployment} d=${d} />`)}
    ${queued ? html`<${WhyNotRunning} q=${queued} now=${now} />` : null}
    <h2>Tasks <small>${tasks.length}</small></h2>
    ${tasks.length ? html`<${NavTable} label="Service tasks" head=${html`<tr><th>Id</th><th>State</th>${hc ? html`<th>Health</th>` : null}<th>Host</th><th>Ports</th><th>Staged</th><th>Started</th></tr>`}>
      ${tasks.map(t => {
        const fw = frameworkOf(t.id)
        const href = fw ? taskHref(fw, t.id) : serviceHref(id)
        const health = taskHealth(t)
        return html`<${LinkRow} href=${href} id=${t.id}>
          <td>${fw ? html`<a href=${href}><code>${t.id}</code></a>` : html`<code>${t.id}</code>`}</td>
          <td><${StateBadge} state=${t.state} /></td>
          ${hc ? html`<td>${health ? html`<span class=${`badge ${health === 'healthy' ? 'ok' : 'bad'}`}>${health}</span>` : '–'}</td>` : null}
          <td>${t.host}</td><td>${t.ports.join(', ')}</td>
          <td>${formatTime(seconds(t.stagedAt))}</td><td>${t.startedAt ? formatTime(seconds(t.startedAt)) : '–'}</td>
        </${LinkRow}>`
      })}
    </${NavTable}>` : html`<${Empty}>${app.tasks ? 'None.' : 'Loading…'}</${Empty}>`}
  </section>`
}

function Deployment({ d }: { d: DeploymentJson }) {
  return html`<div class="deployment" aria-label=${`Deployment ${d.id}`}>
    <h2>Deployment <small><code>${d.id}</code>, step ${d.currentStep} of ${d.totalSteps}</small></h2>
    <ol class="steps">${d.steps.map((st, i) => html`<li class=${i + 1 < d.currentStep ? 'done' : i + 1 === d.currentStep ? 'current' : ''}>
      ${st.actions.map(a => `${a.action} ${a.app}`).join(', ')}</li>`)}</ol>
    ${d.currentActions.flatMap(a => (a.readinessCheckResults ?? []).filter(r => !r.ready)).length ? html`<p class="note">Waiting for readiness checks: ${d.currentActions.flatMap(a => (a.readinessCheckResults ?? []).filter(r => !r.ready).map(r => r.taskId)).join(', ')}</p>` : null}
    ${d.reason ? html`<p class="alert warning" role="status">Stuck: ${d.reason}</p>` : null}
  </div>`
}

function WhyNotRunning({ q, now }: { q: QueueItemJson; now: number }) {
  const p = q.processedOffersSummary
  const bars = rejectBars(p.rejectSummaryLastOffers)
  const offers = [...q.lastUnusedOffers ?? []].reverse().slice(0, 10)
  return html`<div class="why" aria-label="Why not running">
    <h2>Why not running <small>${q.count} to launch</small></h2>
    <p>${q.delay.timeLeftSeconds > 0 ? `Launches delayed ${q.delay.timeLeftSeconds}s after failed tasks. ` : ''}
      ${p.processedOffersCount ? `${p.processedOffersCount} offers considered since ${formatTime(seconds(q.since))}, ${p.unusedOffersCount} unused${p.lastUsedOfferAt ? `, last used ${formatAgo(seconds(p.lastUsedOfferAt), now)} ago` : ''}.` : `No offer yet in ${formatAgo(seconds(q.since), now)} (is an agent with free resources registered?).`}</p>
    ${bars.length ? html`<ul class="bars" aria-label="Reasons over the last offers">${bars.map(b => html`<li>
      <span class="bar-label">${b.reason}</span>
      <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label=${`${b.reason} declined ${b.declined} of ${b.of}`}>
        <rect class="meter-track" x="0" y="0" width="100" height="8" rx="3" /><rect class="bar-fill" x="0" y="0" width=${b.of ? (100 * b.declined) / b.of : 0} height="8" rx="3" /></svg>
      <span class="bar-value">${b.declined}/${b.of}</span></li>`)}</ul>` : null}
    ${offers.length ? html`<div class="table-wrap"><table aria-label="Last unused offers"><thead><tr><th>When</th><th>Agent</th><th>Offered</th><th>Reasons</th></tr></thead>
      <tbody>${offers.map(o => html`<tr><td>${formatAgo(seconds(o.timestamp), now)} ago</td><td>${o.offer.hostname}</td>
        <td>${o.offer.resources.filter(r => r.scalar !== undefined).map(r => `${r.name} ${formatCount(r.scalar!)}${r.role !== '*' ? ` (${r.role})` : ''}`).join(', ')}</td>
        <td>${o.reason.join(', ')}</td></tr>`)}</tbody></table></div>` : null}
  </div>`
}

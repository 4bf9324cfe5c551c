// Jobs (Metronome's /v1 API on the master's jobs scheduler): the list, and a job's page with its spec, schedules,
// active runs, finished runs and pipeline runs drawn as a DAG. Jobs are not on the operator event stream, so these
// two pages re-read /v1/jobs every 5 s while they are open (one small request; nothing polls on other pages).

import { request } from '../api/http.ts'
import { formatAgo, formatCount, formatMb, formatTime } from '../model/format.ts'
import { metronomeSeconds, pipelineColumns, runTone, type JobJson, type PipelineRunJson } from '../model/jobs.ts'
import { Empty, Fields, LinkRow, NavTable } from './common.ts'
import { html } from './html.ts'
import { usePolled } from './polled.ts'
import { useStore } from './store.ts'
import { taskHref } from './tasks.ts'

/** GETs `path` now and every 5 s while the page is open. */
function useJson<T>(what: string, path: string) {
  return usePolled<T>(path, async signal => (await request(what, path, { signal, headers: { Accept: 'application/json' } })).json() as Promise<T>)
}

const badge = (status: string) => html`<span class=${`badge ${runTone(status)}`}>${status.replace(/^TASK_/, '').toLowerCase()}</span>`
const ago = (t: string | null | undefined) => { const s = metronomeSeconds(t); return s ? `${formatAgo(s)} ago` : '–' }
const jobHref = (id: string) => `#/jobs/${encodeURIComponent(id)}`

export function Jobs() {
  const { data, error, missing } = useJson<JobJson[]>('listing jobs', '/v1/jobs?embed=activeRuns&embed=historySummary&embed=schedules')
  if (missing) return html`<section class="page"><h1>Jobs</h1><${Empty}>This master runs no jobs scheduler (it was started with --no-jobs): ${error}</${Empty}></section>`
  const jobs = [...data ?? []].sort((a, b) => a.id.localeCompare(b.id))
  return html`<section class="page">
    <h1>Jobs <small>${jobs.length}</small></h1>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${!data ? html`<${Empty}>Loading…</${Empty}>` : jobs.length ? html`<${NavTable} label="Jobs" head=${html`<tr><th>Id</th><th>Command</th><th>Depends on</th><th>Schedule</th><th class="num">Active runs</th><th class="num">Succeeded</th><th class="num">Failed</th><th>Last success</th><th>Last failure</th></tr>`}>
      ${jobs.map(j => html`<${LinkRow} href=${jobHref(j.id)} id=${j.id}>
        <td><a href=${jobHref(j.id)}>${j.id}</a></td>
        <td><code>${j.run.cmd ?? (j.run.args ?? []).join(' ')}</code></td>
        <td>${(j.dependencies ?? []).map(d => d.id).join(', ')}</td>
        <td>${(j.schedules ?? []).map(s => `${s.cron}${s.enabled === false ? ' (off)' : ''}`).join('; ')}</td>
        <td class="num">${(j.activeRuns ?? []).length}</td>
        <td class="num">${j.historySummary?.successCount ?? 0}</td>
        <td class="num">${j.historySummary?.failureCount ?? 0}</td>
        <td>${ago(j.historySummary?.lastSuccessAt)}</td>
        <td>${ago(j.historySummary?.lastFailureAt)}</td>
      </${LinkRow}>`)}
    </${NavTable}>` : html`<${Empty}>No jobs. Create one with <code>meso job create FILE</code>.</${Empty}>`}
  </section>`
}

export function JobPage({ id }: { id: string }) {
  const { cluster } = useStore()
  const job = useJson<JobJson>(`reading job ${id}`, `/v1/jobs/${encodeURIComponent(id)}?embed=activeRuns&embed=history&embed=schedules`)
  const pipelines = useJson<PipelineRunJson[]>(`reading pipeline runs of ${id}`, `/v1/pipelines/${encodeURIComponent(id)}/runs`)
  const j = job.data
  if (!j) return html`<section class="page"><p class="crumbs"><a href="#/jobs">Jobs</a> /</p><h1>${id}</h1><${Empty}>${job.error ?? 'Loading…'}</${Empty}></section>`
  // A run's tasks are the jobs framework's; find them among the tasks the stream shows to link to their pages.
  const taskLink = (taskId: string) => {
    const t = [...cluster.tasks.values()].find(x => x.task_id.value === taskId)
    return t ? html`<a href=${taskHref(t.framework_id.value, taskId)}><code>${taskId}</code></a>` : html`<code>${taskId}</code>`
  }
  const finished = [...(j.history?.successfulFinishedRuns ?? []).map(r => ({ ...r, ok: true })), ...(j.history?.failedFinishedRuns ?? []).map(r => ({ ...r, ok: false }))]
    .sort((a, b) => (metronomeSeconds(b.finishedAt) ?? 0) - (metronomeSeconds(a.finishedAt) ?? 0))
  return html`<section class="page">
    <p class="crumbs"><a href="#/jobs">Jobs</a> /</p>
    <h1>${j.id}</h1>
    <${Fields} rows=${[
      ['description', j.description],
      ['command', j.run.cmd ? html`<code>${j.run.cmd}</code>` : j.run.args ? html`<code>${j.run.args.join(' ')}</code>` : undefined],
      ['resources', `${formatCount(j.run.cpus ?? 0)} cpus, ${formatMb(j.run.mem ?? 0)} mem${j.run.disk ? `, ${formatMb(j.run.disk)} disk` : ''}${j.run.gpus ? `, ${formatCount(j.run.gpus)} gpus` : ''}`],
      ['image', j.run.docker?.image], ['user', j.run.user], ['restart', j.run.restart?.policy],
      ['depends on', (j.dependencies ?? []).length ? (j.dependencies ?? []).map(d => html`<a href=${jobHref(d.id)}>${d.id}</a> `) : undefined],
      ['history', j.history ? `${j.history.successCount} succeeded, ${j.history.failureCount} failed` : undefined],
    ]} />
    ${job.error ? html`<p class="error">${job.error}</p>` : null}
    <h2>Schedules</h2>
    ${(j.schedules ?? []).length ? html`<div class="table-wrap"><table aria-label="Schedules"><thead><tr><th>Id</th><th>Cron</th><th>Time zone</th><th>Enabled</th><th>Concurrency</th><th>Next run</th></tr></thead>
      <tbody>${(j.schedules ?? []).map(s => html`<tr><td>${s.id}</td><td><code>${s.cron}</code></td><td>${s.timezone ?? 'UTC'}</td><td>${s.enabled === false ? 'no' : 'yes'}</td><td>${s.concurrencyPolicy}</td><td>${formatTime(metronomeSeconds(s.nextRunAt))}</td></tr>`)}</tbody></table></div>` : html`<${Empty}>None: runs start when asked (<code>meso job run ${j.id}</code>).</${Empty}>`}
    <h2>Active runs <small>${(j.activeRuns ?? []).length}</small></h2>
    ${(j.activeRuns ?? []).length ? html`<div class="table-wrap"><table aria-label="Active runs"><thead><tr><th>Run</th><th>Status</th><th>Started</th><th>Tasks</th></tr></thead>
      <tbody>${(j.activeRuns ?? []).map(r => html`<tr><td><code>${r.id}</code></td><td>${badge(r.status)}</td><td>${formatTime(metronomeSeconds(r.createdAt))}</td>
        <td>${r.tasks.map(t => html`<div>${taskLink(t.id)} ${badge(t.status)}</div>`)}</td></tr>`)}</tbody></table></div>` : html`<${Empty}>None.</${Empty}>`}
    <h2>Finished runs</h2>
    ${finished.length ? html`<div class="table-wrap"><table aria-label="Finished runs"><thead><tr><th>Run</th><th>Result</th><th>Started</th><th>Finished</th><th>Tasks</th></tr></thead>
      <tbody>${finished.map(r => html`<tr><td><code>${r.id}</code></td><td>${badge(r.ok ? 'SUCCESS' : 'FAILED')}</td><td>${formatTime(metronomeSeconds(r.createdAt))}</td><td>${formatTime(metronomeSeconds(r.finishedAt))}</td><td>${r.tasks.map(t => html`<div>${taskLink(t)}</div>`)}</td></tr>`)}</tbody></table></div>` : html`<${Empty}>None yet.</${Empty}>`}
    ${(pipelines.data ?? []).length ? html`<h2>Pipeline runs</h2>${[...pipelines.data!].reverse().map(p => html`<${PipelineRun} run=${p} />`)}` : null}
  </section>`
}

function PipelineRun({ run }: { run: PipelineRunJson }) {
  const columns = pipelineColumns(run.steps)
  return html`<div class="pipeline">
    <p><code>${run.id}</code> ${badge(run.status)} <small>started ${formatTime(metronomeSeconds(run.createdAt))}${run.finishedAt ? `, finished ${formatTime(metronomeSeconds(run.finishedAt))}` : ''}</small></p>
    <ol class="dag" aria-label=${`Pipeline run ${run.id}`}>
      ${columns.map((col, i) => html`<li class="dag-col" aria-label=${`stage ${i + 1}`}><ul>
        ${col.map(s => html`<li class=${`dag-step ${runTone(s.status)}`}>
          <a href=${jobHref(s.jobId)}>${s.jobId}</a> ${badge(s.status)}
          ${s.dependencies.length ? html`<small>after ${s.dependencies.join(', ')}</small>` : null}
          ${s.skippedBecause ? html`<small>skipped because ${s.skippedBecause} failed</small>` : null}
        </li>`)}
      </ul></li>`)}
    </ol>
  </div>`
}

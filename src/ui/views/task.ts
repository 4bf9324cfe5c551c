// One task: its state history, addresses, health check, sandbox browser and a live tail of its stdout/stderr.

import { useEffect, useRef, useState } from 'preact/hooks'
import { browse, followFile, type BrowseEntry } from '../api/log-tail.ts'
import { AuthRequired } from '../api/http.ts'
import { isTerminal, taskHealth, taskIps, type HealthCheck, type WireTask } from '../model/cluster-state.ts'
import { formatBytes, formatCount, formatMb, formatTime } from '../model/format.ts'
import { keep } from '../model/log-follow.ts'
import { portsOf, scalarsOf } from '../model/resources.ts'
import { Empty, Fields, StateBadge } from './common.ts'
import { html } from './html.ts'
import { useStore } from './store.ts'
import { taskHref } from './tasks.ts'

/** The sandbox directory of a task in the agent's files API (as `meso task logs` reads it: src/client/sandbox-files.ts). */
export function sandboxDir(t: WireTask): string {
  const fid = t.framework_id.value
  const eid = t.executor_id?.value ?? t.task_id.value
  const base = `/frameworks/${fid}/executors/${eid}/runs/latest`
  return eid === t.task_id.value ? base : `${base}/tasks/${t.task_id.value}`
}

export function describeHealthCheck(h: HealthCheck): string {
  const what = h.type === 'HTTP' ? `HTTP ${h.http?.scheme ?? 'http'}://…:${h.http?.port}${h.http?.path ?? '/'}`
    : h.type === 'TCP' ? `TCP port ${h.tcp?.port}`
      : `command ${h.command?.shell === false ? [h.command.value, ...(h.command.arguments ?? [])].join(' ') : h.command?.value ?? ''}`
  const timing = [
    h.interval_seconds !== undefined && `every ${h.interval_seconds}s`, h.timeout_seconds !== undefined && `timeout ${h.timeout_seconds}s`,
    h.delay_seconds !== undefined && `first after ${h.delay_seconds}s`, h.grace_period_seconds !== undefined && `grace ${h.grace_period_seconds}s`,
    h.consecutive_failures !== undefined && `${h.consecutive_failures} failures kill it`,
  ].filter(Boolean)
  return `${what}${timing.length ? ` (${timing.join(', ')})` : ''}`
}

export function TaskPage({ frameworkId, taskId, file }: { frameworkId: string; taskId: string; file?: string }) {
  const { cluster } = useStore()
  const t = cluster.tasks.get(`${frameworkId}/${taskId}`)
  if (!t) return html`<section class="page"><h1>Task <code>${taskId}</code></h1><${Empty}>${cluster.subscribed ? 'No such task (completed tasks are kept for a while only).' : 'Loading…'}</${Empty}></section>`
  const agent = cluster.agents.get(t.agent_id.value)
  const s = scalarsOf(t.resources)
  const ips = taskIps(t)
  const health = taskHealth(t)
  const last = t.statuses?.at(-1)
  const image = t.container?.mesos?.image?.docker?.name
  return html`<section class="page">
    <p class="crumbs"><a href="#/tasks">Tasks</a> /</p>
    <h1>${t.name} <${StateBadge} state=${t.state} /></h1>
    <${Fields} rows=${[
      ['id', html`<code>${t.task_id.value}</code>`],
      ['framework', html`<a href=${`#/frameworks/${encodeURIComponent(frameworkId)}`}>${(cluster.frameworks.get(frameworkId) ?? cluster.completedFrameworks.get(frameworkId))?.framework_info.name ?? frameworkId}</a>`],
      ['agent', agent ? html`<a href=${`#/agents/${encodeURIComponent(t.agent_id.value)}`}>${agent.agent_info.hostname}</a>` : t.agent_id.value],
      ['resources', `${formatCount(s.cpus)} cpus, ${formatMb(s.mem)} mem${s.disk ? `, ${formatMb(s.disk)} disk` : ''}${s.gpus ? `, ${formatCount(s.gpus)} gpus` : ''}`],
      ['IP addresses', ips.join(', ') || (agent ? `host network (${agent.agent_info.hostname})` : undefined)],
      ['ports', portsOf(t.resources) || undefined],
      ['image', image], ['user', t.user],
      ['last message', last?.message ? `${last.message}${last.reason ? ` (${last.reason})` : ''}` : last?.reason],
    ]} />
    <h2>Health</h2>
    ${t.health_check ? html`<p><span class=${`badge ${health === undefined ? 'busy' : health ? 'ok' : 'bad'}`}>${health === undefined ? 'no result yet' : health ? 'healthy' : 'unhealthy'}</span> ${describeHealthCheck(t.health_check)}</p>` : html`<${Empty}>No health check.</${Empty}>`}
    <h2>State history</h2>
    <div class="table-wrap"><table aria-label="State history"><thead><tr><th>Time</th><th>State</th><th>Source</th><th>Reason</th><th>Message</th><th>Healthy</th></tr></thead>
      <tbody>${(t.statuses ?? []).map(st => html`<tr><td>${formatTime(st.timestamp)}</td><td><${StateBadge} state=${st.state} /></td><td>${st.latestStateOnly ? 'latest state (status pending)' : st.source?.replace(/^SOURCE_/, '').toLowerCase()}</td><td>${st.reason?.replace(/^REASON_/, '').toLowerCase()}</td><td class="message">${st.message}</td><td>${st.healthy === undefined ? '' : st.healthy ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>
    <${Sandbox} task=${t} file=${file} />
  </section>`
}

function Sandbox({ task, file }: { task: WireTask; file?: string }) {
  const root = sandboxDir(task)
  const [dir, setDir] = useState(root)
  const [entries, setEntries] = useState<BrowseEntry[] | undefined>()
  const [error, setError] = useState('')
  const shown = file ?? 'stdout'
  const live = !isTerminal(task.state)
  useEffect(() => {
    const c = new AbortController()
    setError('')
    const list = () => browse({ agentId: task.agent_id.value }, dir, c.signal).then(setEntries, err => {
      if (c.signal.aborted) return
      setEntries(undefined)
      setError(err instanceof AuthRequired ? 'Sign in to read this sandbox.' : (err as Error).message)
    })
    void list()
    // Sizes and new files while the task runs; one listing every few seconds is cheap for the agent.
    const timer = live ? setInterval(list, 5000) : undefined
    return () => { c.abort(); clearInterval(timer) }
  }, [dir, task.agent_id.value, live])
  const rel = (p: string) => p.slice(root.length + 1)
  const href = (f: string) => `${taskHref(task.framework_id.value, task.task_id.value)}?file=${encodeURIComponent(f)}`
  return html`<h2>Sandbox</h2>
    <div class="sandbox">
      <nav class="files" aria-label="Sandbox files">
        <p class="path"><code>${dir === root ? '.' : rel(dir)}</code>${dir !== root ? html` <button type="button" class="link" onClick=${() => setDir(dir.slice(0, dir.lastIndexOf('/')))}>up</button>` : null}</p>
        ${error ? html`<p class="error">${error}</p>` : !entries ? html`<p class="empty">Loading…</p>` : html`<ul>${[...entries].sort((a, b) => a.path.localeCompare(b.path)).map(e => {
          const name = e.path.slice(e.path.lastIndexOf('/') + 1)
          if (e.mode.startsWith('d')) return html`<li><button type="button" class="link dir" onClick=${() => setDir(e.path)}>${name}/</button></li>`
          return html`<li><a href=${href(rel(e.path))} aria-current=${rel(e.path) === shown ? 'page' : undefined}>${name}</a> <small>${formatBytes(e.size)}</small></li>`
        })}</ul>`}
      </nav>
      <${LogTail} key=${`${root}/${shown}`} agentId=${task.agent_id.value} path=${`${root}/${shown}`} name=${shown} live=${live} />
    </div>`
}

function LogTail({ agentId, path, name, live }: { agentId: string; path: string; name: string; live: boolean }) {
  const [text, setText] = useState('')
  const [note, setNote] = useState('')
  const [follow, setFollow] = useState(true)
  const pre = useRef<HTMLPreElement>(null)
  useEffect(() => {
    setText('')
    return followFile({ agentId }, path, {
      text: fresh => setText(shown => keep(shown, fresh)),
      note: setNote,
      error: err => setNote(err instanceof AuthRequired ? 'Sign in to read this sandbox.' : err.message),
    })
  }, [agentId, path])
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight
  }, [text, follow])
  return html`<div class="log">
    <div class="log-head"><strong>${name}</strong>
      <span class=${`badge ${live ? 'ok' : 'done'}`}>${live ? 'following' : 'task ended'}</span>
      <label><input type="checkbox" checked=${follow} onChange=${(e: Event) => setFollow((e.target as HTMLInputElement).checked)} /> scroll with output</label>
    </div>
    ${note ? html`<p class="note">${note}</p>` : null}
    <pre ref=${pre} class="log-text" tabindex="0" aria-label=${`${name} of the task`} aria-live="off">${text}</pre>
  </div>`
}

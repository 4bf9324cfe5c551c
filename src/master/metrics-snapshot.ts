// /metrics/snapshot, GET_METRICS and GET /metrics for the master, with Mesos' metric keys (upstream
// docs/monitoring.md, src/master/metrics.cpp). Counters and timers come from MasterMetrics (metrics.ts) and the
// process registry (the registrar's timers); gauges are computed here from the state when read.

import { type MetricsRegistry, processMetrics } from '../core/metrics/registry.ts'
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../core/metrics/prometheus.ts'
import { Resources } from '../core/resources.ts'
import { systemMetrics } from '../core/system-metrics.ts'
import { isTerminal } from '../core/v1/messages.ts'
import { SPECULATIVE_TYPES } from './operations/conversions.ts'
import type { MasterState } from './state.ts'
import type { RegisteredAgent } from './registered-agent.ts'
import { resourcesOf } from './resource-lists.ts'

const ACTIVE_TASK_STATES = ['staging', 'starting', 'running', 'killing', 'unreachable']
const TERMINAL_TASK_STATES = ['finished', 'failed', 'killed', 'lost', 'error', 'dropped', 'gone', 'gone_by_operator']
/** Upstream FrameworkMetrics: every TaskState, active (non-terminal) or terminal, with its enum name lowercased. */
const FRAMEWORK_ACTIVE_STATES = ['task_staging', 'task_starting', 'task_running', 'task_killing', 'task_unreachable', 'task_unknown']
const FRAMEWORK_TERMINAL_STATES = ['task_finished', 'task_failed', 'task_killed', 'task_lost', 'task_error', 'task_dropped', 'task_gone', 'task_gone_by_operator']
/** Offer::Operation types (less UNKNOWN), lowercased: FrameworkMetrics' `operations/<type>`. */
const OFFER_OPERATION_TYPES = ['launch', 'launch_group', 'reserve', 'unreserve', 'create', 'destroy', 'grow_volume', 'shrink_volume', 'create_disk', 'destroy_disk']
/** scheduler::Call and scheduler::Event types (less UNKNOWN): upstream declares a counter for each at SUBSCRIBE. */
const CALL_TYPES = ['SUBSCRIBE', 'TEARDOWN', 'ACCEPT', 'DECLINE', 'ACCEPT_INVERSE_OFFERS', 'DECLINE_INVERSE_OFFERS', 'REVIVE', 'KILL', 'SHUTDOWN', 'ACKNOWLEDGE', 'ACKNOWLEDGE_OPERATION_STATUS', 'RECONCILE', 'RECONCILE_OPERATIONS', 'MESSAGE', 'REQUEST', 'SUPPRESS', 'UPDATE_FRAMEWORK']
const EVENT_TYPES = ['SUBSCRIBED', 'OFFERS', 'INVERSE_OFFERS', 'RESCIND', 'RESCIND_INVERSE_OFFER', 'UPDATE', 'UPDATE_OPERATION_STATUS', 'MESSAGE', 'FAILURE', 'ERROR', 'HEARTBEAT']
const OPERATION_STATES = ['pending', 'recovering', 'unreachable', 'finished', 'failed', 'error', 'dropped', 'gone_by_operator']

/** Live numbers the state does not hold: the runtime's and the HTTP server's (docs/metrics.md). */
export interface MasterQueues {
  /** Open operator SUBSCRIBE streams. */
  subscribers: number
  /** HTTP requests being handled. */
  httpRequests?: number
  /** Deferred work waiting to run: an allocation asked for, registrar writes not yet durable. */
  dispatches?: number
  /** An allocation asked for and not yet run (0 or 1). */
  allocatorDispatches?: number
}

export function masterMetrics(m: MasterState, queues: MasterQueues | number, now = Date.now()): Record<string, number> {
  const q: MasterQueues = { ...m.metrics.liveQueues?.(), ...(typeof queues === 'number' ? { subscribers: queues } : queues) }
  const out: Record<string, number> = {}
  out['master/elected'] = 1
  out['master/uptime_secs'] = now / 1000 - m.startTime
  const agents = [...m.agents.values()]
  out['master/slaves_active'] = agents.filter(a => a.state === 'registered' && !a.deactivated).length
  out['master/slaves_inactive'] = agents.filter(a => a.deactivated).length
  out['master/slaves_connected'] = agents.filter(a => a.state === 'registered').length
  out['master/slaves_disconnected'] = agents.filter(a => a.state === 'disconnected' || a.state === 'recovered').length
  out['master/slaves_unreachable'] = agents.filter(a => a.state === 'unreachable').length
  const fws = [...m.frameworks.values()]
  out['master/frameworks_active'] = fws.filter(f => f.active).length
  out['master/frameworks_inactive'] = fws.filter(f => !f.active).length
  out['master/frameworks_connected'] = fws.filter(f => f.connected).length
  out['master/frameworks_disconnected'] = fws.filter(f => !f.connected).length
  out['master/outstanding_offers'] = m.offers.size
  out['master/operator_event_stream_subscribers'] = q.subscribers
  out['master/event_queue_messages'] = 0 // see docs/metrics.md: agent messages are handled as they arrive
  out['master/event_queue_dispatches'] = q.dispatches ?? 0
  out['master/event_queue_http_requests'] = q.httpRequests ?? 0
  out['allocator/mesos/event_queue_dispatches'] = q.allocatorDispatches ?? 0

  // Active task gauges from the tasks the master holds; terminal ones are counters of transitions (MasterMetrics),
  // so they keep counting past the completed tasks kept in memory. TASK_ERROR also counts refused launches, which
  // never became tasks.
  const active = new Map<string, number>()
  for (const { task } of m.allTasks()) if (!isTerminal(task.state)) active.set(task.state, (active.get(task.state) ?? 0) + 1)
  for (const s of ACTIVE_TASK_STATES) out[`master/tasks_${s}`] = active.get(`TASK_${s.toUpperCase()}`) ?? 0
  for (const s of TERMINAL_TASK_STATES) out[`master/tasks_${s}`] = m.metrics.taskStates.get(`TASK_${s.toUpperCase()}`) ?? 0

  const connected = agents.filter(a => a.state === 'registered')
  const total = Resources.sum(connected.map(a => a.total))
  const used = Resources.sum(usedByTasks(connected))
  const offered = Resources.sum([...m.offers.values()].map(o => o.resources))
  for (const r of ['cpus', 'mem', 'disk', 'gpus']) {
    for (const [suffix, revocable] of [['', false], ['_revocable', true]] as const) {
      const pick = (x: Resources) => x.filter(res => !!res.revocable === revocable).scalar(r)
      const t = pick(total), u = pick(used)
      out[`master/${r}${suffix}_total`] = t
      out[`master/${r}${suffix}_used`] = u
      out[`master/${r}${suffix}_percent`] = t > 0 ? u / t : 0
    }
    out[`allocator/mesos/resources/${r}/total`] = total.scalar(r)
    out[`allocator/mesos/resources/${r}/offered_or_allocated`] = used.scalar(r) + offered.scalar(r)
  }

  m.metrics.registry.snapshot(out)
  out['master/tasks_error'] = (out['master/tasks_error'] ?? 0) + (m.metrics.taskStates.get('TASK_ERROR') ?? 0)

  for (const role of new Set([...Object.keys(m.weights), ...fws.flatMap(f => f.roles), ...m.quotas.keys()])) {
    out[`allocator/mesos/roles/${role}/shares/dominant`] = m.allocator.dominantShare(role)
    out[`allocator/mesos/offer_filters/roles/${role}/active`] = m.allocator.offerFilterCount(role)
  }
  if (m.quotas.size) {
    const consumed = m.allocator.quotaConsumed(m.quotas.keys())
    for (const [role, quota] of m.quotas) {
      for (const [name, v] of quota.guarantees) {
        out[`allocator/mesos/quota/roles/${role}/resources/${name}/guarantee`] = v
        out[`allocator/mesos/quota/roles/${role}/resources/${name}/offered_or_allocated`] = consumed.get(role)?.get(name) ?? 0
      }
    }
  }

  operationMetrics(m, out)

  for (const id of [...m.metrics.frameworkOperations.keys(), ...m.metrics.frameworkTerminal.keys()]) {
    if (!m.frameworks.has(id)) m.metrics.forgetFramework(id)
  }
  for (const fw of fws) {
    const base = `master/frameworks/${encodeURIComponent(fw.info.name)}/${fw.id}`
    out[`${base}/subscribed`] = fw.connected ? 1 : 0
    let calls = 0
    for (const t of CALL_TYPES) out[`${base}/calls/${t.toLowerCase()}`] = 0
    for (const [t, n] of fw.counters.calls) { out[`${base}/calls/${t.toLowerCase()}`] = n; calls += n }
    out[`${base}/calls`] = calls
    let events = 0
    for (const t of EVENT_TYPES) out[`${base}/events/${t.toLowerCase()}`] = 0
    for (const [t, n] of fw.counters.events) { out[`${base}/events/${t.toLowerCase()}`] = n; events += n }
    out[`${base}/events`] = events
    out[`${base}/offers/sent`] = fw.counters.offersSent
    out[`${base}/offers/accepted`] = fw.counters.offersAccepted
    out[`${base}/offers/declined`] = fw.counters.offersDeclined
    out[`${base}/offers/rescinded`] = fw.counters.offersRescinded
    for (const role of fw.roles) out[`${base}/roles/${role}/suppressed`] = fw.suppressedRoles.has(role) ? 1 : 0
    const ops = m.metrics.frameworkOperations.get(fw.id)
    let opsTotal = 0
    for (const t of OFFER_OPERATION_TYPES) { const n = ops?.get(t) ?? 0; out[`${base}/operations/${t}`] = n; opsTotal += n }
    out[`${base}/operations`] = opsTotal
    const activeStates = new Map<string, number>()
    for (const t of [...fw.tasks.values(), ...fw.unreachableTasks.values()]) {
      if (!isTerminal(t.state)) activeStates.set(t.state.toLowerCase(), (activeStates.get(t.state.toLowerCase()) ?? 0) + 1)
    }
    for (const s of FRAMEWORK_ACTIVE_STATES) out[`${base}/tasks/active/${s}`] = activeStates.get(s) ?? 0
    const terminal = m.metrics.frameworkTerminal.get(fw.id)
    for (const s of FRAMEWORK_TERMINAL_STATES) out[`${base}/tasks/terminal/${s}`] = terminal?.get(s) ?? 0
  }
  processMetrics.snapshot(out)
  Object.assign(out, systemMetrics())
  return out
}

/** `master/operations/…`: operations the master knows (with feedback, until acknowledged), by state and type. */
function operationMetrics(m: MasterState, out: Record<string, number>) {
  const byType = new Map<string, Map<string, number>>()
  const all = new Map<string, number>()
  let total = 0
  for (const op of m.operations.all()) {
    const state = op.latest_status.state.replace(/^OPERATION_/, '').toLowerCase()
    const type = (op.info.type ?? 'unknown').toLowerCase()
    total++
    all.set(state, (all.get(state) ?? 0) + 1)
    let t = byType.get(type)
    if (!t) byType.set(type, t = new Map())
    t.set(state, (t.get(state) ?? 0) + 1)
    t.set('total', (t.get('total') ?? 0) + 1)
  }
  out['master/operations/total'] = total
  for (const s of OPERATION_STATES) out[`master/operations/${s}`] = all.get(s) ?? 0
  for (const type of [...SPECULATIVE_TYPES].map(t => t.toLowerCase())) {
    const t = byType.get(type)
    out[`master/operations/${type}/total`] = t?.get('total') ?? 0
    for (const s of OPERATION_STATES) out[`master/operations/${type}/${s}`] = t?.get(s) ?? 0
  }
}

/** Keys computed here that Mesos documents as counters (for the Prometheus TYPE line). */
export function isMasterCounter(key: string): boolean {
  return /^master\/tasks_(finished|failed|killed|lost|error|dropped|gone|gone_by_operator)$/.test(key) ||
    /^master\/frameworks\/[^/]+\/[^/]+\/(calls|events|operations|offers\/(sent|accepted|declined|rescinded))(\/[a-z_]+)?$/.test(key) ||
    /^master\/frameworks\/[^/]+\/[^/]+\/tasks\/terminal\//.test(key)
}

/** GET /metrics: the same values in Prometheus' text format. */
export function masterPrometheus(m: MasterState, queues: MasterQueues): Response {
  const snapshot = masterMetrics(m, queues)
  const registries: MetricsRegistry[] = [m.metrics.registry, processMetrics]
  const body = renderPrometheus({ snapshot, registries: registries.map(r => r.describe()), isCounter: isMasterCounter })
  return new Response(body, { headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE } })
}

/** A standby master's GET /metrics: not elected, and how long it has been up (as ha/standby.ts' snapshot). */
export function standbyPrometheus(startedAt: number, now = Date.now()): Response {
  const snapshot = { 'master/elected': 0, 'master/uptime_secs': (now - startedAt) / 1000 }
  return new Response(renderPrometheus({ snapshot, registries: [] }), { headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE } })
}

function* usedByTasks(agents: RegisteredAgent[]): Generator<Resources> {
  for (const a of agents) for (const t of a.tasks.values()) if (!isTerminal(t.state)) yield resourcesOf(t.resources)
}

// /metrics/snapshot and GET_METRICS for the master, with Mesos' metric keys.

import { Resources } from '../core/resources.ts'
import { systemMetrics } from '../core/system-metrics.ts'
import { isTerminal } from '../core/v1/messages.ts'
import type { MasterState } from './state.ts'
import type { RegisteredAgent } from './registered-agent.ts'
import { resourcesOf } from './resource-lists.ts'

const TASK_STATES = ['staging', 'starting', 'running', 'killing', 'finished', 'failed', 'killed', 'lost', 'error', 'dropped', 'unreachable', 'gone', 'gone_by_operator', 'unknown']

/** `subscribers`: open operator SUBSCRIBE streams. */
export function masterMetrics(m: MasterState, subscribers: number, now = Date.now()): Record<string, number> {
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
  out['master/operator_event_stream_subscribers'] = subscribers

  // Task gauges: active and unreachable tasks by current state; terminal states count completed tasks too.
  const counts = new Map<string, number>()
  for (const { task } of m.allTasks({ completed: true })) counts.set(task.state, (counts.get(task.state) ?? 0) + 1)
  for (const s of TASK_STATES) out[`master/tasks_${s}`] = counts.get(`TASK_${s.toUpperCase()}`) ?? 0

  const connected = agents.filter(a => a.state === 'registered')
  const total = Resources.sum(connected.map(a => a.total))
  const used = Resources.sum(usedByTasks(connected))
  const offers = [...m.offers.values()]
  for (const r of ['cpus', 'mem', 'disk', 'gpus']) {
    const t = total.scalar(r)
    const u = used.scalar(r)
    out[`master/${r}_total`] = t
    out[`master/${r}_used`] = u
    out[`master/${r}_percent`] = t > 0 ? u / t : 0
    out[`allocator/mesos/resources/${r}/total`] = t
    out[`allocator/mesos/resources/${r}/offered_or_allocated`] = u + offers.reduce((s, o) => s + o.resources.scalar(r), 0)
  }
  for (const [k, v] of m.metrics.counters) out[k] = v
  for (const k of ['master/slave_registrations', 'master/slave_reregistrations', 'master/slave_removals', 'master/valid_status_updates',
    'master/invalid_status_updates', 'master/valid_status_update_acknowledgements', 'master/frameworks_registered']) out[k] ??= 0
  Object.assign(out, m.metrics.allocationStats())
  for (const role of new Set([...Object.keys(m.weights), ...fws.flatMap(f => f.roles)])) {
    out[`allocator/mesos/roles/${role}/shares/dominant`] = m.allocator.dominantShare(role)
    out[`allocator/mesos/offer_filters/roles/${role}/active`] = m.allocator.offerFilterCount(role)
  }
  for (const fw of fws) {
    const base = `master/frameworks/${encodeURIComponent(fw.info.name)}/${fw.id}`
    out[`${base}/subscribed`] = fw.connected ? 1 : 0
    let calls = 0
    for (const [t, n] of fw.counters.calls) { out[`${base}/calls/${t.toLowerCase()}`] = n; calls += n }
    out[`${base}/calls`] = calls
    let events = 0
    for (const [t, n] of fw.counters.events) { out[`${base}/events/${t.toLowerCase()}`] = n; events += n }
    out[`${base}/events`] = events
    out[`${base}/offers/sent`] = fw.counters.offersSent
    out[`${base}/offers/accepted`] = fw.counters.offersAccepted
    out[`${base}/offers/declined`] = fw.counters.offersDeclined
    out[`${base}/offers/rescinded`] = fw.counters.offersRescinded
    for (const role of fw.roles) out[`${base}/roles/${role}/suppressed`] = fw.suppressedRoles.has(role) ? 1 : 0
  }
  Object.assign(out, systemMetrics())
  return out
}

function* usedByTasks(agents: RegisteredAgent[]): Generator<Resources> {
  for (const a of agents) for (const t of a.tasks.values()) if (!isTerminal(t.state)) yield resourcesOf(t.resources)
}

// Legacy v0 JSON (`/master/state`, `/master/slaves`, …): hand-shaped like Mesos' — string ids, "slave" naming,
// flattened resources, times in seconds (upstream src/master/http.cpp and src/common/http.cpp). An optional Viewer
// filters them per principal as upstream's src/master/readonly_handler.cpp does (see views-v1.ts).

import type { Viewer } from '../core/authz/viewer.ts'
import { flattenResources, Resources, reservationRole } from '../core/resources.ts'
import type { Attribute, Task, TaskStatus } from '../core/v1/messages.ts'
import { versionInfo } from '../core/version.ts'
import type { Framework } from './framework.ts'
import type { JsonStream } from './json-stream.ts'
import type { MasterState } from './state.ts'
import type { RegisteredAgent } from './registered-agent.ts'
import { flattenedOf } from './resource-lists.ts'
import { frameworkOfferConstraints } from './offer-constraints.ts'
import { roleSummaries } from './views-v1.ts'
import { consumedWithoutOffers, roleQuotaV0 } from './quota/consumed.ts'

export function flattenAttributes(attrs: Attribute[] | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {}
  for (const a of attrs ?? []) {
    if (a.type === 'SCALAR') out[a.name] = a.scalar?.value ?? 0
    else if (a.type === 'TEXT') out[a.name] = a.text?.value ?? ''
    else if (a.type === 'RANGES') out[a.name] = `[${(a.ranges?.range ?? []).map(r => `${r.begin}-${r.end}`).join(', ')}]`
    else if (a.type === 'SET') out[a.name] = `{${(a.set?.item ?? []).join(', ')}}`
  }
  return out
}

export function statusV0(s: TaskStatus) {
  const out: Record<string, unknown> = { state: s.state, timestamp: s.timestamp ?? 0 }
  if (s.labels?.labels?.length) out.labels = s.labels.labels
  if (s.container_status) out.container_status = s.container_status
  if (s.healthy !== undefined) out.healthy = s.healthy
  return out
}

export function taskV0(t: Task) {
  const out: Record<string, unknown> = {
    id: t.task_id.value,
    name: t.name,
    framework_id: t.framework_id.value,
    executor_id: t.executor_id?.value ?? '',
    slave_id: t.agent_id.value,
    state: t.state,
    resources: flattenedOf(t.resources),
    role: t.resources?.find(r => r.allocation_info?.role)?.allocation_info?.role ?? '*',
    statuses: (t.statuses ?? []).map(statusV0),
  }
  if (t.user) out.user = t.user
  if (t.labels?.labels?.length) out.labels = t.labels.labels
  if (t.discovery) out.discovery = t.discovery
  if (t.container) out.container = t.container
  if (t.health_check) out.health_check = t.health_check
  return out
}

function reservedFlat(res: Resources): Record<string, Record<string, number | string>> {
  const out: Record<string, Record<string, number | string>> = {}
  const byRole = new Map<string, Resources>()
  for (const r of res.list) {
    const role = reservationRole(r)
    if (role === '*') continue
    byRole.set(role, (byRole.get(role) ?? Resources.EMPTY).plus(Resources.of([r])))
  }
  for (const [role, r] of byRole) out[role] = r.flatten()
  return out
}

/** Resources the viewer may see (VIEW_ROLE on every role a resource carries). */
const visible = (r: Resources, viewer: Viewer | undefined) => (viewer ? r.filter(x => viewer.resource(x)) : r)

export function slaveV0(m: MasterState, a: RegisteredAgent, full = false, viewer?: Viewer) {
  const used = visible(m.agentUsed(a), viewer)
  const offered = visible(m.agentOffered(a), viewer)
  const total = visible(a.total, viewer)
  const out: Record<string, unknown> = {
    id: a.id,
    hostname: a.hostname,
    port: a.port,
    attributes: flattenAttributes(a.info.attributes),
    pid: a.pid,
    registered_time: a.registeredTime ?? 0,
    resources: total.flatten(),
    used_resources: used.unallocated().flatten(),
    offered_resources: offered.unallocated().flatten(),
    reserved_resources: reservedFlat(total),
    unreserved_resources: total.unreserved().flatten(),
    active: a.state === 'registered' && !a.deactivated,
    deactivated: a.deactivated,
    version: a.version,
    capabilities: a.capabilities,
  }
  if (a.reregisteredTime) out.reregistered_time = a.reregisteredTime
  const drain = m.draining.get(a.id)
  if (drain) out.drain_info = drain
  const drainStart = m.drainStartTimes.get(a.id)
  if (drain && drainStart !== undefined) out.estimated_drain_start_time_seconds = drainStart
  if (full) {
    const byRole: Record<string, unknown[]> = {}
    for (const r of total.list) {
      const role = reservationRole(r)
      if (role !== '*') (byRole[role] ??= []).push(r)
    }
    out.reserved_resources_full = byRole
    out.unreserved_resources_full = total.unreserved().toWire(true)
    out.used_resources_full = used.toWire(true)
    out.offered_resources_full = offered.toWire(true)
  }
  return out
}

/** With `js`, long task lists are written in slices when the answer is sent (json-stream.ts). */
export function frameworkV0(m: MasterState, fw: Framework, js?: JsonStream, viewer?: Viewer) {
  const used = visible(m.frameworkUsed(fw), viewer)
  const offered = visible(m.frameworkOffered(fw), viewer)
  const executors: unknown[] = []
  for (const [agentId, execs] of fw.executors) {
    for (const e of execs.values()) {
      if (viewer && !viewer.executor(e, fw.info)) continue
      executors.push({
        executor_id: e.executor_id.value,
        name: e.name ?? '',
        framework_id: fw.id,
        command: e.command ? { shell: e.command.shell, value: e.command.value, argv: e.command.arguments ?? [], uris: e.command.uris ?? [] } : {},
        resources: flattenResources(e.resources ?? []),
        slave_id: agentId,
        type: e.type,
      })
    }
  }
  const out: Record<string, unknown> = {
    id: fw.id,
    name: fw.info.name,
    used_resources: used.unallocated().flatten(),
    offered_resources: offered.unallocated().flatten(),
    capabilities: (fw.info.capabilities ?? []).map(c => c.type),
    hostname: fw.info.hostname ?? '',
    webui_url: fw.info.webui_url ?? '',
    active: fw.active,
    connected: fw.connected,
    recovered: fw.connection === 'recovered',
    user: fw.info.user,
    failover_timeout: fw.info.failover_timeout ?? 0,
    checkpoint: fw.info.checkpoint ?? false,
    registered_time: fw.registeredTime,
    unregistered_time: fw.unregisteredTime ?? 0,
    resources: used.unallocated().flatten(),
    tasks: taskList([...fw.tasks.values()], fw, js, viewer),
    unreachable_tasks: taskList([...fw.unreachableTasks.values()], fw, js, viewer),
    completed_tasks: taskList(fw.completedTasks, fw, js, viewer),
    offers: m.frameworkOffers(fw).map(o => ({
      id: o.id.value, framework_id: fw.id, allocation_info: o.allocation_info, slave_id: o.agent_id.value,
      resources: flattenResources(o.resources ?? []),
    })),
    executors,
    offer_constraints: frameworkOfferConstraints(fw).constraints ?? {},
  }
  if (fw.info.principal) out.principal = fw.info.principal
  if (fw.reregisteredTime) out.reregistered_time = fw.reregisteredTime
  if (fw.info.labels?.labels?.length) out.labels = fw.info.labels.labels
  if (fw.info.roles?.length || (fw.info.capabilities ?? []).some(c => c.type === 'MULTI_ROLE')) out.roles = fw.roles
  else out.role = fw.info.role ?? '*'
  return out
}

/** A framework's tasks in v0 shape, those the viewer may see (VIEW_TASK), streamed in slices with `js`. */
function taskList(tasks: Task[], fw: Framework, js: JsonStream | undefined, viewer: Viewer | undefined) {
  const shown = viewer ? tasks.filter(t => viewer.task(t, fw.info)) : tasks
  return js ? js.array(shown, taskV0) : shown.map(taskV0)
}

export function stateV0(m: MasterState, js?: JsonStream, viewer?: Viewer) {
  const agents = [...m.agents.values()]
  const v = versionInfo()
  const showFlags = !viewer || viewer.flags()
  const seen = (f: Framework) => !viewer || viewer.framework(f.info)
  return {
    version: v.version,
    git_tag: v.git_tag,
    build_date: v.build_date,
    build_time: v.build_time,
    build_user: v.build_user,
    start_time: m.startTime,
    elected_time: m.electedTime,
    id: m.id,
    pid: m.info.pid,
    hostname: m.info.hostname,
    capabilities: (m.info.capabilities ?? []).map(c => c.type),
    activated_slaves: agents.filter(a => a.state === 'registered' && !a.deactivated).length,
    deactivated_slaves: agents.filter(a => a.deactivated).length,
    unreachable_slaves: agents.filter(a => a.state === 'unreachable').length,
    leader: m.info.pid,
    leader_info: { id: m.id, pid: m.info.pid, port: m.info.port, hostname: m.info.hostname, ip: m.info.ip, address: m.info.address, version: m.info.version },
    // The cluster name and the flags need VIEW_FLAGS (upstream ReadOnlyHandler::state).
    ...(showFlags && m.flags.cluster ? { cluster: m.flags.cluster } : {}),
    ...(showFlags ? { flags: Object.fromEntries(m.flagStrings.map(f => [f.name, f.value])) } : {}),
    slaves: js
      ? js.array(agents.filter(a => a.state === 'registered' || a.state === 'disconnected'), a => slaveV0(m, a, false, viewer))
      : agents.filter(a => a.state === 'registered' || a.state === 'disconnected').map(a => slaveV0(m, a, false, viewer)),
    recovered_slaves: agents.filter(a => a.state === 'recovered').map(a => a.info),
    frameworks: [...m.frameworks.values()].filter(seen).map(f => frameworkV0(m, f, js, viewer)),
    completed_frameworks: m.completedFrameworks.filter(seen).map(f => frameworkV0(m, f, js, viewer)),
    orphan_tasks: [],
    unregistered_frameworks: [],
  }
}

const SUMMARY_STATES = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_FINISHED', 'TASK_KILLED', 'TASK_FAILED', 'TASK_LOST', 'TASK_ERROR', 'TASK_UNREACHABLE']

export function stateSummaryV0(m: MasterState, viewer?: Viewer) {
  const countStates = (tasks: Iterable<Task>) => {
    const c: Record<string, number> = Object.fromEntries(SUMMARY_STATES.map(s => [s, 0]))
    for (const t of tasks) if (t.state in c) c[t.state]!++
    return c
  }
  // One pass groups the tasks; filtering all tasks once per agent and per framework was quadratic.
  const byAgent = new Map<string, Task[]>()
  const byFramework = new Map<string, Task[]>()
  const push = (map: Map<string, Task[]>, key: string, t: Task) => {
    const list = map.get(key)
    if (list) list.push(t)
    else map.set(key, [t])
  }
  for (const { task, framework } of m.allTasks({ completed: true })) {
    push(byAgent, task.agent_id.value, task)
    push(byFramework, framework.id, task)
  }
  return {
    hostname: m.info.hostname,
    ...(m.flags.cluster ? { cluster: m.flags.cluster } : {}),
    slaves: [...m.agents.values()].filter(a => a.state !== 'recovered').map(a => {
      const tasks = byAgent.get(a.id) ?? []
      return { ...slaveV0(m, a, false, viewer), ...countStates(tasks), framework_ids: [...new Set(tasks.map(t => t.framework_id.value))] }
    }),
    frameworks: [...m.frameworks.values()].filter(fw => !viewer || viewer.framework(fw.info)).map(fw => {
      const tasks = byFramework.get(fw.id) ?? []
      const used = m.frameworkUsed(fw)
      return {
        id: fw.id, name: fw.info.name, pid: undefined, used_resources: used.unallocated().flatten(),
        offered_resources: m.frameworkOffered(fw).unallocated().flatten(), capabilities: (fw.info.capabilities ?? []).map(c => c.type),
        hostname: fw.info.hostname ?? '', webui_url: fw.info.webui_url ?? '', active: fw.active, connected: fw.connected,
        recovered: fw.connection === 'recovered', ...countStates(tasks), slave_ids: [...new Set(tasks.map(t => t.agent_id.value))],
      }
    }),
  }
}

/** `/master/tasks`: active, unreachable and completed tasks, sorted by first status time, with limit/offset. */
export function tasksV0(m: MasterState, q: URLSearchParams, viewer?: Viewer) {
  const limitRaw = Number(q.get('limit') ?? 100)
  const limit = !Number.isFinite(limitRaw) || limitRaw < 0 ? Infinity : limitRaw
  const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0)
  const asc = q.get('order') === 'asc'
  const fid = q.get('framework_id')
  const tid = q.get('task_id')
  const items = [...m.allTasks({ completed: true })]
    .filter(x => (!fid || x.framework.id === fid) && (!tid || x.task.task_id.value === tid))
    .filter(x => !viewer || (viewer.framework(x.framework.info) && viewer.task(x.task, x.framework.info)))
    .map(x => x.task)
  const first = (t: Task) => t.statuses?.[0]?.timestamp ?? 0
  items.sort((a, b) => (asc ? first(a) - first(b) : first(b) - first(a)))
  return { tasks: items.slice(offset, offset + limit).map(taskV0) }
}

export function rolesV0(m: MasterState, viewer?: Viewer) {
  const shown = roleSummaries(m).filter(r => !viewer || viewer.role(r.name))
  const consumed = consumedWithoutOffers(m, shown.map(r => r.name))
  return {
    roles: shown.map(r => ({
      name: r.name,
      weight: r.weight,
      quota: roleQuotaV0(m, r.name, consumed),
      resources: r.allocated.unallocated().flatten(),
      allocated: r.allocated.unallocated().flatten(),
      offered: r.offered.unallocated().flatten(),
      reserved: {},
      frameworks: r.frameworks,
    })),
  }
}


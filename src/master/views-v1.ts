// v1 operator API shapes (mesos.v1.master.Response.*) built from the master's state. With a Viewer (the caller's
// VIEW_* approvers, src/core/authz/viewer.ts) they show only what that principal may see, as upstream's
// ReadOnlyHandler (src/master/readonly_handler.cpp) filters: frameworks by VIEW_FRAMEWORK, tasks by VIEW_TASK,
// executors by VIEW_EXECUTOR, roles and reserved or allocated resources by VIEW_ROLE. No Viewer: everything.

import type { Viewer } from '../core/authz/viewer.ts'
import { Resources } from '../core/resources.ts'
import type { Task } from '../core/v1/messages.ts'
import { VERSION } from '../core/version.ts'
import { message } from '../core/proto/index.ts'
import { toJsonElements } from '../core/proto/json-writer.ts'
import { frameworkOfferConstraints } from './offer-constraints.ts'
import type { Framework } from './framework.ts'
import { STREAM_MIN_ELEMENTS, type ElementsWriter, type JsonStream } from './json-stream.ts'
import type { MasterState } from './state.ts'
import type { RegisteredAgent } from './registered-agent.ts'
import { reservationRoles } from './operations/reservation-roles.ts'
import { resourcesOf } from './resource-lists.ts'

// From whole milliseconds (the master's clock): `seconds * 1e9` would print float noise (…122999800) in the int64.
const time = (seconds: number | undefined) => (seconds === undefined ? undefined : { nanoseconds: Math.round(seconds * 1e3) * 1e6 })

function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}

/** Resources the viewer may see (VIEW_ROLE on every role a resource carries). */
const visible = (r: Resources, viewer: Viewer | undefined) => (viewer ? r.filter(x => viewer.resource(x)) : r)

export function agentView(m: MasterState, a: RegisteredAgent, viewer?: Viewer) {
  return compact({
    agent_info: a.info,
    active: a.state === 'registered' && !a.deactivated,
    deactivated: a.deactivated || undefined,
    version: a.version || VERSION,
    pid: a.pid,
    registered_time: time(a.registeredTime),
    reregistered_time: time(a.reregisteredTime),
    total_resources: visible(a.total, viewer).toWire(true),
    allocated_resources: visible(m.agentUsed(a), viewer).toWire(true),
    offered_resources: visible(m.agentOffered(a), viewer).toWire(true),
    capabilities: a.capabilities.map(type => ({ type })),
    drain_info: m.draining.get(a.id),
    estimated_drain_start_time: m.draining.has(a.id) ? time(m.drainStartTimes.get(a.id)) : undefined,
  })
}

export function frameworkView(m: MasterState, fw: Framework, viewer?: Viewer) {
  return compact({
    framework_info: fw.info,
    active: fw.active,
    connected: fw.connected,
    recovered: fw.connection === 'recovered',
    registered_time: time(fw.registeredTime),
    reregistered_time: time(fw.reregisteredTime),
    unregistered_time: time(fw.unregisteredTime),
    offers: m.frameworkOffers(fw),
    inverse_offers: m.maintenance.inverseOffers.outstanding.size ? m.maintenance.inverseOffers.wireOf(fw.id) : undefined,
    allocated_resources: visible(m.frameworkUsed(fw), viewer).toWire(true),
    offered_resources: visible(m.frameworkOffered(fw), viewer).toWire(true),
    offer_constraints: frameworkOfferConstraints(fw).constraints,
  })
}

// Streamed elements are written as the rest of the v1 answer is (src/core/proto/json-writer.ts), a slice at a time.
const taskElements: ElementsWriter<Task> = { elements: ts => toJsonElements(message('mesos.v1.Task'), ts) }
const frameworkElements: ElementsWriter<ReturnType<typeof frameworkView>> = {
  elements: fs => toJsonElements(message('mesos.v1.master.Response.GetFrameworks.Framework'), fs),
}
const agentElements: ElementsWriter<ReturnType<typeof agentView>> = {
  elements: as => toJsonElements(message('mesos.v1.master.Response.GetAgents.Agent'), as),
}

export function getAgents(m: MasterState, js?: JsonStream, viewer?: Viewer) {
  const agents: RegisteredAgent[] = []
  const recovered = []
  for (const a of m.agents.values()) {
    if (a.state === 'recovered') recovered.push(a.info)
    else if (a.state !== 'unreachable') agents.push(a)
  }
  const view = (a: RegisteredAgent) => agentView(m, a, viewer)
  return { agents: js ? js.array(agents, view, agentElements) : agents.map(view), recovered_agents: recovered }
}

/**
 * With `js`, in a cluster with many tasks, the frameworks' views are made when they are written (in a slice, under
 * the turn budget of json-stream.ts) rather than when the request arrives: at 100k tasks one view sums 100k tasks'
 * resources (about 12 ms on a 2-vCPU VM). A small cluster's answer stays one complete body.
 */
export function getFrameworks(m: MasterState, viewer?: Viewer, js?: JsonStream) {
  const seen = (f: Framework) => !viewer || viewer.framework(f.info)
  const view = (f: Framework) => frameworkView(m, f, viewer)
  const frameworks = [...m.frameworks.values()].filter(seen)
  let tasks = 0
  for (const f of frameworks) tasks += f.tasks.size
  return {
    frameworks: js ? js.array(frameworks, view, frameworkElements, tasks >= STREAM_MIN_ELEMENTS ? 1 : STREAM_MIN_ELEMENTS) : frameworks.map(view),
    completed_frameworks: m.completedFrameworks.filter(seen).map(view),
  }
}

/** Task lists from this length on are streamed (see getTasks). */
const TASKS_STREAMED_FROM = 200

/** With `js`, long task lists are written in slices when the answer is sent (json-stream.ts). */
export function getTasks(m: MasterState, js?: JsonStream, viewer?: Viewer) {
  const tasks: Task[] = []
  const unreachable: Task[] = []
  const completed: Task[] = []
  for (const { task, kind, framework } of m.allTasks({ completed: true })) {
    if (viewer && !(viewer.framework(framework.info) && viewer.task(task, framework.info))) continue
    if (kind === 'active') tasks.push(task)
    else if (kind === 'unreachable') unreachable.push(task)
    else completed.push(task)
  }
  if (!js) return { tasks, unreachable_tasks: unreachable, completed_tasks: completed }
  // Tasks are heavy (about 1 KB of JSON each): in an answer that streams anyway, lists from a few hundred on are
  // written in slices too, so that a framework's 1,000 completed tasks are not written when the request arrives.
  const min = tasks.length + unreachable.length + completed.length >= STREAM_MIN_ELEMENTS ? TASKS_STREAMED_FROM : STREAM_MIN_ELEMENTS
  const slices = (list: Task[]) => js.array(list, undefined, taskElements, min)
  return { tasks: slices(tasks), unreachable_tasks: slices(unreachable), completed_tasks: slices(completed) }
}

export function getExecutors(m: MasterState, viewer?: Viewer) {
  const executors = []
  for (const a of m.agents.values()) {
    for (const [frameworkId, execs] of a.executors) {
      const fw = viewer ? m.findFramework(frameworkId)?.info ?? {} : undefined
      if (viewer && fw && !viewer.framework(fw)) continue
      for (const e of execs.values()) {
        if (viewer && fw && !viewer.executor(e, fw)) continue
        executors.push({ executor_info: e, agent_id: { value: a.id } })
      }
    }
  }
  return { executors }
}

export function getState(m: MasterState, js?: JsonStream, viewer?: Viewer) {
  return { get_tasks: getTasks(m, js, viewer), get_executors: getExecutors(m, viewer), get_frameworks: getFrameworks(m, viewer, js), get_agents: getAgents(m, js, viewer) }
}

/** Roles with a weight, frameworks subscribed to them, and what they hold. */
export function roleSummaries(m: MasterState) {
  // Parts are collected per role and summed once at the end: folding with `plus` per task copied the growing sum.
  const roles = new Map<string, { frameworks: Set<string>; allocated: Resources[]; offered: Resources[] }>()
  const get = (r: string) => {
    let e = roles.get(r)
    if (!e) { e = { frameworks: new Set(), allocated: [], offered: [] }; roles.set(r, e) }
    return e
  }
  for (const r of Object.keys(m.weights)) get(r)
  // Roles with quota are known roles too (upstream Master::knownRoles).
  for (const r of m.quotas.keys()) get(r)
  for (const fw of m.frameworks.values()) for (const r of fw.roles) get(r).frameworks.add(fw.id)
  // Roles something is reserved for on a registered agent, and their ancestors (upstream Master::knownRoles).
  for (const role of reservationRoles(m)) get(role)
  for (const fw of m.frameworks.values()) {
    for (const t of fw.tasks.values()) {
      for (const [role, part] of byAllocationRole(resourcesOf(t.resources))) get(role).allocated.push(part)
    }
    for (const o of m.frameworkOffers(fw)) get(o.allocation_info?.role ?? '*').offered.push(resourcesOf(o.resources))
  }
  return [...roles.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, e]) => ({
    name, weight: m.weights[name] ?? 1, frameworks: [...e.frameworks], allocated: Resources.sum(e.allocated), offered: Resources.sum(e.offered),
  }))
}

/** A task's resources split by `allocation_info.role` (unstamped ones are left out); usually one role, no copy. */
function byAllocationRole(res: Resources): [string, Resources][] {
  const list = res.list
  const first = list[0]?.allocation_info?.role
  if (first && list.every(r => r.allocation_info?.role === first)) return [[first, res]]
  const roles = new Set<string>()
  for (const r of list) if (r.allocation_info?.role) roles.add(r.allocation_info.role)
  return [...roles].map(role => [role, res.filter(r => r.allocation_info?.role === role)])
}

export function getRoles(m: MasterState, viewer?: Viewer) {
  return {
    roles: roleSummaries(m).filter(r => !viewer || viewer.role(r.name)).map(r => compact({
      name: r.name,
      weight: r.weight,
      frameworks: r.frameworks.length ? r.frameworks.map(value => ({ value })) : undefined,
      resources: r.allocated.isEmpty ? undefined : r.allocated.toWire(true),
    })),
  }
}

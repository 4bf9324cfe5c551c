// Legacy v0 JSON (`/master/state`, `/master/slaves`, …): hand-shaped like Mesos' — string ids, "slave" naming,
// flattened resources, times in seconds (upstream src/master/http.cpp and src/common/http.cpp). An optional Viewer
// filters them per principal as upstream's src/master/readonly_handler.cpp does (see views-v1.ts).

import type { Viewer } from '../core/authz/viewer.ts'
import { randomUUID } from 'node:crypto'
import { arrayOf, dictOf, DOUBLE, messageOf, objectOf, RESOURCES, v0Elements, v0Writer, type Shape } from '../core/json/v0-json.ts'
import { flattenResources, Resources, reservationRole, type Resource } from '../core/resources.ts'
import type { Attribute, Offer, Task, TaskStatus } from '../core/v1/messages.ts'
import { versionInfo } from '../core/version.ts'
import type { Framework } from './framework.ts'
import { STREAM_MIN_ELEMENTS, type ElementsWriter, type JsonStream } from './json-stream.ts'
import type { MasterState } from './state.ts'
import type { RegisteredAgent } from './registered-agent.ts'
import { flattenedOf } from './resource-lists.ts'
import { frameworkOfferConstraints } from './offer-constraints.ts'
import { roleSummaries } from './views-v1.ts'
import { consumedWithoutOffers, roleQuotaV0 } from './quota/consumed.ts'

// Which values are doubles, as upstream's jsonify writes them (src/common/http.cpp, src/master/readonly_handler.cpp):
// scalar resources and attributes, times in seconds, `failover_timeout`, role weights, and the double fields of the
// protobuf messages shown whole (`JSON::Protobuf` upstream). Every other number is an integer (src/core/json/v0-json.ts).
const LABELS = arrayOf(messageOf('mesos.v1.Label'))
/** Upstream json(TaskStatus). */
export const STATUS_V0: Shape = objectOf({
  timestamp: DOUBLE, labels: LABELS, container_status: messageOf('mesos.v1.ContainerStatus'),
})
/** Upstream json(Task); the agent's tasks have the same shape. */
export const TASK_V0: Shape = objectOf({
  resources: RESOURCES, limits: dictOf(DOUBLE), statuses: arrayOf(STATUS_V0), labels: LABELS,
  discovery: messageOf('mesos.v1.DiscoveryInfo'), container: messageOf('mesos.v1.ContainerInfo'),
  health_check: messageOf('mesos.v1.HealthCheck'),
})
const RESOURCE_FULL = arrayOf(messageOf('mesos.v1.Resource'))
/** Upstream SlaveWriter (and json(SlaveInfo) for recovered agents), with /master/slaves' `*_full` lists. */
const SLAVE_V0: Shape = objectOf({
  attributes: dictOf(DOUBLE), registered_time: DOUBLE, reregistered_time: DOUBLE,
  resources: RESOURCES, used_resources: RESOURCES, offered_resources: RESOURCES, unreserved_resources: RESOURCES,
  reserved_resources: dictOf(RESOURCES), drain_info: messageOf('mesos.v1.DrainInfo'),
  estimated_drain_start_time_seconds: DOUBLE, domain: messageOf('mesos.v1.DomainInfo'),
  reserved_resources_full: dictOf(RESOURCE_FULL), unreserved_resources_full: RESOURCE_FULL,
  used_resources_full: RESOURCE_FULL, offered_resources_full: RESOURCE_FULL,
})
/** An outstanding offer in a framework's view (upstream json(Offer)). */
const OFFER_V0: Shape = objectOf({ resources: RESOURCES, allocation_info: messageOf('mesos.v1.Resource.AllocationInfo') })
/** Upstream FullFrameworkWriter (and Summary<Framework> in /master/state-summary). */
const FRAMEWORK_V0: Shape = objectOf({
  failover_timeout: DOUBLE, registered_time: DOUBLE, unregistered_time: DOUBLE, reregistered_time: DOUBLE,
  used_resources: RESOURCES, offered_resources: RESOURCES, resources: RESOURCES,
  tasks: arrayOf(TASK_V0), unreachable_tasks: arrayOf(TASK_V0), completed_tasks: arrayOf(TASK_V0),
  offers: arrayOf(OFFER_V0),
  executors: arrayOf(objectOf({ resources: RESOURCES, labels: LABELS })),
  labels: LABELS, offer_constraints: messageOf('mesos.v1.scheduler.OfferConstraints'),
})

/** `/master/state` (`/state`, `/state.json`). */
const STATE_V0 = objectOf({
  build_time: DOUBLE, start_time: DOUBLE, elected_time: DOUBLE, domain: messageOf('mesos.v1.DomainInfo'),
  slaves: arrayOf(SLAVE_V0), recovered_slaves: arrayOf(SLAVE_V0),
  frameworks: arrayOf(FRAMEWORK_V0), completed_frameworks: arrayOf(FRAMEWORK_V0),
})
/** `/master/roles`: weights and quantities are doubles (ResourceQuantities upstream). */
const ROLES_V0 = objectOf({
  roles: arrayOf(objectOf({
    weight: DOUBLE, quota: objectOf({ guarantee: RESOURCES, limit: RESOURCES, consumed: RESOURCES }),
    resources: RESOURCES, allocated: RESOURCES, offered: RESOURCES, reserved: RESOURCES,
  })),
})

/** The shapes of the master's v0 answers and of their streamed elements, by name (the writers' equivalence test). */
export const V0_SHAPES = {
  state: STATE_V0,
  frameworks: objectOf({ frameworks: arrayOf(FRAMEWORK_V0), completed_frameworks: arrayOf(FRAMEWORK_V0) }),
  slaves: objectOf({ slaves: arrayOf(SLAVE_V0), recovered_slaves: arrayOf(SLAVE_V0) }),
  stateSummary: objectOf({ slaves: arrayOf(SLAVE_V0), frameworks: arrayOf(FRAMEWORK_V0) }),
  tasks: objectOf({ tasks: arrayOf(TASK_V0) }),
  roles: ROLES_V0,
  /** `/master/weights`: WeightInfo messages. */
  weights: arrayOf(messageOf('mesos.v1.WeightInfo')),
  slave: SLAVE_V0, framework: FRAMEWORK_V0, task: TASK_V0, offer: OFFER_V0, status: STATUS_V0,
} satisfies Record<string, Shape>

export const writeStateV0 = v0Writer(V0_SHAPES.state)
/** `/master/frameworks`. */
export const writeFrameworksV0 = v0Writer(V0_SHAPES.frameworks)
/** `/master/slaves`. */
export const writeSlavesV0 = v0Writer(V0_SHAPES.slaves)
/** `/master/state-summary`. */
export const writeStateSummaryV0 = v0Writer(V0_SHAPES.stateSummary)
/** `/master/tasks`. */
export const writeTasksV0 = v0Writer(V0_SHAPES.tasks)
/** One element of a streamed list (json-stream.ts): an agent or a task. */
export const writeSlaveV0 = v0Writer(SLAVE_V0)
export const writeTaskV0 = v0Writer(TASK_V0)
/** Slices of streamed lists, one JSON.stringify each (json-stream.ts). */
const slaveElements = v0Elements<ReturnType<typeof slaveV0>>(SLAVE_V0)
const taskElements = v0Elements<ReturnType<typeof taskV0>>(TASK_V0)
const offerElements = v0Elements<ReturnType<typeof offerV0>>(OFFER_V0)
const writeFrameworkV0 = v0Writer(FRAMEWORK_V0)
/** `/master/roles`. */
export const writeRolesV0 = v0Writer(ROLES_V0)
/** `/master/weights`. */
export const writeWeightsV0 = v0Writer(V0_SHAPES.weights)

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
  if (t.limits && Object.keys(t.limits).length) out.limits = Object.fromEntries(Object.entries(t.limits).map(([name, s]) => [name, s.value]))
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

/** An agent known from the registry that has not re-registered yet: upstream json(SlaveInfo). */
export function recoveredSlaveV0(a: RegisteredAgent) {
  const out: Record<string, unknown> = { id: a.id, hostname: a.hostname, port: a.port, attributes: flattenAttributes(a.info.attributes) }
  if (a.info.domain) out.domain = a.info.domain
  return out
}

/** `/master/slaves`: every agent (or the one `slave_id` names) with the `*_full` resource lists. */
export function slavesV0(m: MasterState, slaveId: string | null, viewer?: Viewer) {
  const agents = [...m.agents.values()]
  return {
    slaves: agents.filter(a => a.state !== 'recovered' && (!slaveId || a.id === slaveId)).map(a => slaveV0(m, a, true, viewer)),
    recovered_slaves: agents.filter(a => a.state === 'recovered').map(recoveredSlaveV0),
  }
}

/** With `js`, long task lists are written in slices when the answer is sent (json-stream.ts). */
export function frameworkV0(m: MasterState, fw: Framework, js?: JsonStream, viewer?: Viewer) {
  return frameworkView(m, fw, viewer, {
    tasks: taskList([...fw.tasks.values()], fw, js, viewer),
    unreachable_tasks: taskList([...fw.unreachableTasks.values()], fw, js, viewer),
    completed_tasks: taskList(fw.completedTasks, fw, js, viewer),
    offers: m.frameworkOffers(fw).map(o => offerV0(fw, o)),
  })
}

/** The long lists of a framework's view, in the order the view has them (see FrameworkPieces). */
interface FrameworkLists { tasks: unknown; unreachable_tasks: unknown; completed_tasks: unknown; offers: unknown }
const LIST_KEYS = ['tasks', 'unreachable_tasks', 'completed_tasks', 'offers'] as const

function offerV0(fw: Framework, o: Offer) {
  return { id: o.id.value, framework_id: fw.id, allocation_info: o.allocation_info, slave_id: o.agent_id.value, resources: flattenResources(o.resources ?? []) }
}

/**
 * What `fw` is offered: MasterState.frameworkOffered's sum (the same terms, added in the same order), in one map
 * rather than a fold that copies the growing sum once per offer (5k offers with port ranges: 15–20 ms, against 7–15).
 */
function offeredTo(m: MasterState, fw: Framework): Resources {
  const parts: Resources[] = []
  for (const id of fw.offers) {
    const o = m.offers.get(id)
    if (o) parts.push(o.resources)
  }
  return Resources.sum(parts)
}

/** Upstream FullFrameworkWriter with its long lists as given. */
function frameworkView(m: MasterState, fw: Framework, viewer: Viewer | undefined, lists: FrameworkLists) {
  const used = visible(m.frameworkUsed(fw), viewer)
  const offered = visible(offeredTo(m, fw), viewer)
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
    tasks: lists.tasks,
    unreachable_tasks: lists.unreachable_tasks,
    completed_tasks: lists.completed_tasks,
    offers: lists.offers,
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
  const shown = visibleTasks(tasks, fw, viewer)
  return js ? js.array(shown, taskV0, taskElements) : shown.map(taskV0)
}

/** The tasks of a framework the viewer may see (VIEW_TASK). */
const visibleTasks = (tasks: Task[], fw: Framework, viewer: Viewer | undefined) => (viewer ? tasks.filter(t => viewer.task(t, fw.info)) : tasks)

// A framework's view in a streamed /master/state is written in pieces, so that the work it takes happens in slices
// (json-stream.ts) rather than when the request arrives: summing its used and offered resources (100k tasks and
// 10k offers: tens of ms) and writing the text around its long lists. Only which tasks and offers the lists hold is
// taken at arrival. JsonStream joins the elements of a streamed array with commas, so the view's text is cut where
// its long lists have commas, between two elements: the first piece is the text up to the first element of the first
// list and that element, each further element is a piece, and the text between two lists goes with the element before
// it and the one after it. The pieces of every framework make up the streamed `frameworks` array, whose commas are
// the pieces' own.

/** One of a framework's long lists: the items as of the request, how each is shown and how a run of them is written. */
interface PieceList { items: readonly unknown[]; map: (item: any) => unknown; write: ElementsWriter<any> }

/** A piece's parts: the view's text around the lists (`text`: its index, 0 to lists.length) or a list's element. */
type PiecePart = { text: number } | { list: number; at: number }
interface Piece { of: FrameworkPieces; parts: PiecePart[] }

/** Stands in for a list in the view that FrameworkPieces cuts; never the text of a value (it holds a random nonce). */
const LIST_PLACEHOLDER = `#${randomUUID()}:`

class FrameworkPieces {
  private texts?: string[]
  constructor(readonly lists: readonly PieceList[], private readonly view: (lists: FrameworkLists) => unknown) {}

  /**
   * The view's text before the first list (with its `[`), between two lists (`],"key":[`) or after the last (with
   * its `]`): made, with the sums the view takes, when the framework's first piece is written.
   */
  text(i: number): string {
    if (!this.texts) {
      const text = writeFrameworkV0(this.view(Object.fromEntries(LIST_KEYS.map((k, i) => [k, LIST_PLACEHOLDER + i])) as unknown as FrameworkLists))
      const texts: string[] = []
      let from = 0
      for (let l = 0; l < LIST_KEYS.length; l++) {
        const mark = JSON.stringify(LIST_PLACEHOLDER + l)
        const at = text.indexOf(mark, from)
        if (at < 0) throw new Error(`v0 framework view: list '${LIST_KEYS[l]}' is not where it belongs in the text`)
        texts.push((l ? ']' : '') + text.slice(from, at) + '[')
        from = at + mark.length
      }
      texts.push(']' + text.slice(from))
      this.texts = texts
    }
    return this.texts[i]!
  }

  /** The pieces, in order. */
  pieces(): Piece[] {
    const out: Piece[] = []
    let parts: PiecePart[] = [{ text: 0 }]
    this.lists.forEach((l, list) => {
      for (let at = 0; at < l.items.length; at++) {
        if (at > 0) { out.push({ of: this, parts }); parts = [] }
        parts.push({ list, at })
      }
      parts.push({ text: list + 1 })
    })
    out.push({ of: this, parts })
    return out
  }
}

function frameworkPieces(m: MasterState, fw: Framework, viewer: Viewer | undefined): Piece[] {
  const tasks = (items: Task[]): PieceList => ({ items: visibleTasks(items, fw, viewer), map: taskV0, write: taskElements })
  const lists = [
    tasks([...fw.tasks.values()]), tasks([...fw.unreachableTasks.values()]), tasks(fw.completedTasks),
    { items: m.frameworkOffers(fw), map: (o: Offer) => offerV0(fw, o), write: offerElements },
  ]
  return new FrameworkPieces(lists, l => frameworkView(m, fw, viewer, l)).pieces()
}

/** Writes a slice of pieces: runs of lone elements of one list in one go, the others part by part. */
const pieceElements: ElementsWriter<Piece> = {
  elements(pieces) {
    const out: string[] = []
    let run: unknown[] = []
    let runOf: PieceList | undefined
    const flush = () => {
      if (run.length) out.push(runOf!.write.elements(run))
      run = []
      runOf = undefined
    }
    for (const { of, parts } of pieces) {
      const only = parts.length === 1 ? parts[0]! : undefined
      if (only && 'list' in only) {
        const l = of.lists[only.list]!
        if (l !== runOf) { flush(); runOf = l }
        run.push(l.map(l.items[only.at]))
        continue
      }
      flush()
      let s = ''
      for (const p of parts) {
        if ('text' in p) s += of.text(p.text)
        else { const l = of.lists[p.list]!; s += l.write.elements([l.map(l.items[p.at])]) }
      }
      out.push(s)
    }
    flush()
    return out.join(',')
  },
}

/**
 * The views of `frameworks` in a state answer (`/master/state`, and fit for `/master/frameworks`): with `js`, where
 * their lists are long (tasks and offers together from STREAM_MIN_ELEMENTS on), written in pieces when the answer is
 * sent; else each view whole, its long task lists streamed.
 */
export function frameworkListV0(m: MasterState, frameworks: Framework[], js: JsonStream | undefined, viewer: Viewer | undefined): unknown {
  if (js) {
    let long = 0
    for (const f of frameworks) long += f.tasks.size + f.unreachableTasks.size + f.completedTasks.length + f.offers.size
    if (long >= STREAM_MIN_ELEMENTS) return js.array(frameworks.flatMap(f => frameworkPieces(m, f, viewer)), undefined, pieceElements, 1)
  }
  return frameworks.map(f => frameworkV0(m, f, js, viewer))
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
      ? js.array(agents.filter(a => a.state === 'registered' || a.state === 'disconnected'), a => slaveV0(m, a, false, viewer), slaveElements)
      : agents.filter(a => a.state === 'registered' || a.state === 'disconnected').map(a => slaveV0(m, a, false, viewer)),
    recovered_slaves: agents.filter(a => a.state === 'recovered').map(recoveredSlaveV0),
    frameworks: frameworkListV0(m, [...m.frameworks.values()].filter(seen), js, viewer),
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

/**
 * Upstream ResourceQuantities as `/master/roles` writes them: per resource name, the sum of scalar values, set items
 * and range lengths; names whose sum is zero left out; sorted by name.
 */
export function quantitiesV0(resources: Iterable<Resource>): Record<string, number> {
  const sums = new Map<string, number>()
  for (const r of resources) {
    let v = 0
    if (r.type === 'SCALAR') v = r.scalar?.value ?? 0
    else if (r.type === 'SET') v = r.set?.item?.length ?? 0
    else if (r.type === 'RANGES') for (const range of r.ranges?.range ?? []) v += range.end - range.begin + 1
    if (v > 0) sums.set(r.name, Math.round(((sums.get(r.name) ?? 0) + v) * 1000) / 1000)
  }
  return Object.fromEntries([...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** `role` and its ancestors (`a/b/c`, `a/b`, `a`): the subtrees a resource of `role` counts in. */
function* selfAndAncestors(role: string): Generator<string> {
  for (let r = role; ; r = r.slice(0, r.lastIndexOf('/'))) {
    yield r
    if (!r.includes('/')) return
  }
}

/** Resources by role subtree (upstream isAllocatedToRoleSubtree / isReservedToRoleSubtree): each counts for its role and every ancestor. */
function bySubtree(parts: Iterable<[string, readonly Resource[]]>): Map<string, Resource[]> {
  const out = new Map<string, Resource[]>()
  for (const [role, list] of parts) {
    for (const r of selfAndAncestors(role)) {
      const have = out.get(r)
      if (have) have.push(...list)
      else out.set(r, [...list])
    }
  }
  return out
}

/**
 * `/master/roles`, as upstream's RoleResourceBreakdown: what is allocated to, offered to and reserved for each role's
 * subtree as quantities, and `resources` (deprecated upstream) as allocated plus offered.
 */
export function rolesV0(m: MasterState, viewer?: Viewer) {
  const all = roleSummaries(m)
  const shown = all.filter(r => !viewer || viewer.role(r.name))
  const consumed = consumedWithoutOffers(m, shown.map(r => r.name))
  const allocated = bySubtree(all.map(r => [r.name, r.allocated.list]))
  const offered = bySubtree(all.map(r => [r.name, r.offered.list]))
  const reservations: [string, Resource[]][] = []
  for (const a of m.agents.values()) {
    if (a.state !== 'registered' && a.state !== 'disconnected') continue
    for (const r of a.total.list) {
      const role = reservationRole(r)
      if (role !== '*') reservations.push([role, [r]])
    }
  }
  const reserved = bySubtree(reservations)
  const none: Resource[] = []
  return {
    roles: shown.map(r => ({
      name: r.name,
      weight: r.weight,
      quota: roleQuotaV0(m, r.name, consumed),
      resources: quantitiesV0([...allocated.get(r.name) ?? none, ...offered.get(r.name) ?? none]),
      allocated: quantitiesV0(allocated.get(r.name) ?? none),
      offered: quantitiesV0(offered.get(r.name) ?? none),
      reserved: quantitiesV0(reserved.get(r.name) ?? none),
      frameworks: r.frameworks,
    })),
  }
}

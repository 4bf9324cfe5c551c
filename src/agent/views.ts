// What the agent shows: v1 operator API shapes (mesos.v1.agent.Response.*) and the v0 JSON (`/state`,
// `/monitor/statistics`, `/containers`), plus its metrics. With a Viewer (the caller's VIEW_* approvers,
// src/core/authz/viewer.ts) only what that principal may see, as upstream src/slave/http.cpp filters: frameworks by
// VIEW_FRAMEWORK, executors by VIEW_EXECUTOR, tasks by VIEW_TASK, containers by VIEW_CONTAINER, flags by VIEW_FLAGS.

import type { Viewer } from '../core/authz/viewer.ts'
import { arrayOf, dictOf, DOUBLE, messageOf, objectOf, RESOURCES, v0Writer } from '../core/json/v0-json.ts'
import { reservationRole, Resources, toWireResource, type Resource } from '../core/resources.ts'
import { isTerminal } from '../core/v1/messages.ts'
import { versionInfo } from '../core/version.ts'
import { flattenAttributes, statusV0, TASK_V0 } from '../master/views-v0.ts'
import type { Agent } from './agent.ts'
import type { AgentExecutorBase, AgentTask } from './executors/executor.ts'

// Which values of the agent's v0 JSON are doubles (upstream src/slave/http.cpp; see src/core/json/v0-json.ts).
const RESOURCE_FULL = arrayOf(messageOf('mesos.v1.Resource'))
const EXECUTOR_V0 = objectOf({
  resources: RESOURCES, labels: arrayOf(messageOf('mesos.v1.Label')),
  tasks: arrayOf(TASK_V0), queued_tasks: arrayOf(TASK_V0), completed_tasks: arrayOf(TASK_V0),
})
const FRAMEWORK_V0 = objectOf({ failover_timeout: DOUBLE, executors: arrayOf(EXECUTOR_V0), completed_executors: arrayOf(EXECUTOR_V0) })
/** The agent's `/state` (`/state.json`, `/slave(1)/state`). */
export const writeStateV0 = v0Writer(objectOf({
  build_time: DOUBLE, start_time: DOUBLE, domain: messageOf('mesos.v1.DomainInfo'), drain_config: messageOf('mesos.v1.DrainConfig'),
  estimated_drain_start_time_seconds: DOUBLE,
  resources: RESOURCES, reserved_resources: dictOf(RESOURCES), unreserved_resources: RESOURCES,
  reserved_resources_full: dictOf(RESOURCE_FULL), unreserved_resources_full: RESOURCE_FULL,
  reserved_resources_allocated: dictOf(RESOURCES), unreserved_resources_allocated: RESOURCES,
  attributes: dictOf(DOUBLE), frameworks: arrayOf(FRAMEWORK_V0), completed_frameworks: arrayOf(FRAMEWORK_V0),
}))
const STATISTICS = messageOf('mesos.v1.ResourceStatistics')
/** `/monitor/statistics`: ResourceStatistics messages, whose times and CPU limits are doubles. */
export const writeMonitorStatisticsV0 = v0Writer(arrayOf(objectOf({ statistics: STATISTICS })))
/** `/containers`. */
export const writeContainersV0 = v0Writer(arrayOf(objectOf({ status: messageOf('mesos.v1.ContainerStatus'), statistics: STATISTICS })))

/** Whether the viewer may see an executor: VIEW_FRAMEWORK on its framework and VIEW_EXECUTOR on it. */
function seesExecutor(a: Agent, exec: AgentExecutorBase, viewer: Viewer | undefined): boolean {
  if (!viewer) return true
  const fw = a.frameworkInfo(exec.frameworkId)
  return viewer.framework(fw) && viewer.executor(exec.info, fw)
}

/** Whether the viewer may see a task: VIEW_FRAMEWORK and VIEW_TASK (by the task's user, else its framework's). */
function seesTask(a: Agent, exec: AgentExecutorBase, t: AgentTask, viewer: Viewer | undefined): boolean {
  if (!viewer) return true
  const fw = a.frameworkInfo(exec.frameworkId)
  return viewer.framework(fw) && viewer.task(t.info, fw)
}

export function getTasks(a: Agent, viewer?: Viewer) {
  const queued = [], launched = [], terminated = [], completed = []
  for (const exec of a.executors()) {
    for (const t of exec.tasks.values()) {
      if (!seesTask(a, exec, t, viewer)) continue
      const v = a.taskView(exec, t)
      if (t.state === 'TASK_STAGING' && exec.state === 'registering') queued.push(v)
      else if (isTerminal(t.state)) terminated.push(v)
      else launched.push(v)
    }
    for (const t of exec.completedTasks) if (seesTask(a, exec, t, viewer)) completed.push(a.taskView(exec, t))
  }
  for (const fw of a.frameworks.values()) for (const exec of fw.completedExecutors) for (const t of exec.completedTasks) if (seesTask(a, exec, t, viewer)) completed.push(a.taskView(exec, t))
  return { queued_tasks: queued, launched_tasks: launched, terminated_tasks: terminated, completed_tasks: completed }
}

export function getExecutors(a: Agent, viewer?: Viewer) {
  return {
    executors: [...a.executors()].filter(e => seesExecutor(a, e, viewer)).map(e => ({ executor_info: e.info })),
    completed_executors: [...a.frameworks.values()].flatMap(f => f.completedExecutors.filter(e => seesExecutor(a, e, viewer)).map(e => ({ executor_info: e.info }))),
  }
}

export function getFrameworks(a: Agent, viewer?: Viewer) {
  const seen = (f: { info: Parameters<Viewer['framework']>[0] }) => !viewer || viewer.framework(f.info)
  return {
    frameworks: [...a.frameworks.values()].filter(seen).map(f => ({ framework_info: f.info })),
    completed_frameworks: a.completedFrameworks.filter(seen).map(f => ({ framework_info: f.info })),
  }
}

/** VIEW_CONTAINER for an executor's containers (by the executor's user, else its framework's). */
function seesContainer(a: Agent, exec: AgentExecutorBase, viewer: Viewer | undefined): boolean {
  return !viewer || viewer.container(exec.info, a.frameworkInfo(exec.frameworkId))
}

export async function getContainers(a: Agent, opts: { showNested?: boolean } = {}, viewer?: Viewer) {
  const out = []
  for (const exec of a.executors()) {
    if (exec.state === 'terminated' || !seesContainer(a, exec, viewer)) continue
    const ids: { id: string; parent?: string }[] = [{ id: exec.containerId }]
    if (opts.showNested && exec.kind === 'default') for (const t of exec.tasks.values()) if (t.containerId && !t.terminal) ids.push({ id: t.containerId, parent: exec.containerId })
    for (const { id, parent } of ids) {
      const task = exec.kind === 'command' ? [...exec.tasks.values()][0] : [...exec.tasks.values()].find(t => t.containerId === id)
      const stats = await statistics(a, exec, id)
      const container_id = parent ? { value: id, parent: { value: parent } } : { value: id }
      const c: Record<string, unknown> = {
        framework_id: { value: exec.frameworkId },
        executor_id: { value: exec.id },
        executor_name: exec.info.name ?? '',
        container_id,
        container_status: a.containerStatus(id, task?.pid),
      }
      if (stats) c.resource_statistics = stats
      out.push(c)
    }
  }
  return { containers: out }
}

/** ResourceStatistics for a container: the isolators' usage plus the limits it was given. */
export async function statistics(a: Agent, exec: AgentExecutorBase, containerId: string) {
  const usage = await a.containerizer.usage(containerId).catch(() => undefined)
  if (!usage) return undefined
  const res = Resources.of(exec.kind === 'command' ? [...exec.tasks.values()][0]?.info.resources : exec.info.resources)
  const out: Record<string, number> = { timestamp: Date.now() / 1000, ...usage }
  out.cpus_limit ??= res.scalar('cpus')
  out.mem_limit_bytes ??= Math.round(res.scalar('mem') * 1024 * 1024)
  return out
}

/** Moved to metrics.ts with the rest of the agent's metrics; re-exported for the endpoints that import it here. */
export { agentMetrics } from './metrics.ts'

function taskV0(a: Agent, exec: AgentExecutorBase, t: AgentTask) {
  return {
    id: t.id, name: t.info.name, framework_id: exec.frameworkId, executor_id: exec.id, slave_id: a.agentId, state: t.state,
    resources: Resources.of(t.info.resources).flatten(), role: t.info.resources?.find(r => r.allocation_info?.role)?.allocation_info?.role ?? '*',
    statuses: t.statuses.map(statusV0),
    ...(t.info.labels?.labels?.length ? { labels: t.info.labels.labels } : {}),
    ...(t.info.container ? { container: t.info.container } : {}),
    ...(t.info.discovery ? { discovery: t.info.discovery } : {}),
  }
}

function executorV0(a: Agent, exec: AgentExecutorBase, viewer?: Viewer) {
  const running = [...exec.tasks.values()].filter(t => seesTask(a, exec, t, viewer))
  return {
    id: exec.id, name: exec.info.name ?? '', source: exec.info.source ?? '', container: exec.containerId, directory: exec.sandbox,
    resources: Resources.of(exec.kind === 'command' ? running[0]?.info.resources : exec.info.resources).flatten(),
    role: exec.info.resources?.find(r => r.allocation_info?.role)?.allocation_info?.role ?? '*',
    type: exec.kind === 'custom' ? 'CUSTOM' : 'DEFAULT',
    ...(exec.info.labels?.labels?.length ? { labels: exec.info.labels.labels } : {}),
    tasks: running.filter(t => !(t.state === 'TASK_STAGING' && exec.state === 'registering')).map(t => taskV0(a, exec, t)),
    queued_tasks: running.filter(t => t.state === 'TASK_STAGING' && exec.state === 'registering').map(t => taskV0(a, exec, t)),
    completed_tasks: exec.completedTasks.filter(t => seesTask(a, exec, t, viewer)).map(t => taskV0(a, exec, t)),
  }
}

/** By reservation role (the innermost reservation's), as upstream Resources::reservations(); VIEW_ROLE filters roles. */
function reservationsByRole(res: Resources, viewer: Viewer | undefined): Map<string, Resources> {
  const out = new Map<string, Resource[]>()
  for (const r of res.list) {
    const role = reservationRole(r)
    if (role === '*' || (viewer && !viewer.role(role))) continue
    const list = out.get(role) ?? []
    list.push(r)
    out.set(role, list)
  }
  return new Map([...out].map(([role, list]) => [role, Resources.of(list)]))
}

/**
 * Upstream's ENDPOINT resource format (convertResourceFormat in src/common/resources_utils.cpp): the pre-refinement
 * `role` (and `reservation` for a dynamic one) beside the `reservations` stack, which is kept; `role: "*"` when
 * unreserved; refined reservations only as the stack.
 */
export function endpointResource(r: Resource): Resource {
  const depth = r.reservations?.length ?? 0
  if (depth > 1) return r
  const out = toWireResource(r, false)
  if (depth === 1) out.reservations = r.reservations
  return out
}

/** What the agent's frameworks hold: executors' resources and their tasks' that have not ended (command executors: the task's). */
function allocatedResources(a: Agent): Resources {
  const parts: Resources[] = []
  for (const exec of a.executors()) {
    if (exec.state === 'terminated') continue
    if (exec.kind !== 'command') parts.push(Resources.of(exec.info.resources))
    for (const t of exec.tasks.values()) if (!t.terminal) parts.push(Resources.of(t.info.resources))
  }
  return Resources.sum(parts)
}

/** The resource fields of the agent's /state, as upstream src/slave/http.cpp writes them (the total: static + checkpointed). */
export function agentResourcesV0(a: Agent, viewer?: Viewer) {
  const total = a.resources.total
  const allocated = allocatedResources(a)
  const flatByRole = (m: Map<string, Resources>) => Object.fromEntries([...m].map(([role, r]) => [role, r.flatten()]))
  return {
    resources: total.flatten(),
    reserved_resources: flatByRole(reservationsByRole(total, viewer)),
    unreserved_resources: total.unreserved().flatten(),
    reserved_resources_full: Object.fromEntries([...reservationsByRole(total, viewer)].map(([role, r]) => [role, r.list.map(endpointResource)])),
    unreserved_resources_full: total.unreserved().list.map(endpointResource),
    reserved_resources_allocated: flatByRole(reservationsByRole(allocated, viewer)),
    unreserved_resources_allocated: allocated.unreserved().flatten(),
  }
}

export function stateV0(a: Agent, viewer?: Viewer) {
  const v = versionInfo()
  const fwV0 = (fw: { info: any; executors: Map<string, AgentExecutorBase>; completedExecutors: AgentExecutorBase[] }) => ({
    id: fw.info.id?.value, name: fw.info.name, user: fw.info.user, failover_timeout: fw.info.failover_timeout ?? 0,
    checkpoint: fw.info.checkpoint ?? false, hostname: fw.info.hostname ?? '', ...(fw.info.principal ? { principal: fw.info.principal } : {}),
    ...(fw.info.roles?.length ? { roles: fw.info.roles } : { role: fw.info.role ?? '*' }),
    executors: [...fw.executors.values()].filter(e => seesExecutor(a, e, viewer)).map(e => executorV0(a, e, viewer)),
    completed_executors: fw.completedExecutors.filter(e => seesExecutor(a, e, viewer)).map(e => executorV0(a, e, viewer)),
  })
  const seen = (f: { info: Parameters<Viewer['framework']>[0] }) => !viewer || viewer.framework(f.info)
  return {
    version: v.version, git_tag: v.git_tag, build_date: v.build_date, build_time: v.build_time, build_user: v.build_user,
    start_time: a.startTime, id: a.agentId, pid: a.pid, hostname: a.info.hostname,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
    ...agentResourcesV0(a, viewer),
    resource_providers: [],
    attributes: flattenAttributes(a.info.attributes),
    ...(a.masterInfo?.hostname ? { master_hostname: a.masterInfo.hostname } : {}),
    // The flags need VIEW_FLAGS (upstream Http::state).
    ...(!viewer || viewer.flags() ? { flags: Object.fromEntries(a.flagStrings.map(f => [f.name, f.value])) } : {}),
    frameworks: [...a.frameworks.values()].filter(seen).map(fwV0),
    completed_frameworks: a.completedFrameworks.filter(seen).map(fwV0),
  }
}

export async function monitorStatisticsV0(a: Agent, viewer?: Viewer) {
  const out = []
  for (const exec of a.executors()) {
    if (exec.state === 'terminated' || !seesContainer(a, exec, viewer)) continue
    const stats = await statistics(a, exec, exec.containerId)
    if (!stats) continue
    out.push({ executor_id: exec.id, executor_name: exec.info.name ?? '', framework_id: exec.frameworkId, source: exec.info.source ?? '', statistics: stats })
  }
  return out
}

export async function containersV0(a: Agent, q: URLSearchParams, viewer?: Viewer) {
  const { containers } = await getContainers(a, {}, viewer)
  return containers
    .filter(c => (!q.get('container_id') || (c.container_id as any).value === q.get('container_id'))
      && (!q.get('framework_id') || (c.framework_id as any).value === q.get('framework_id'))
      && (!q.get('executor_id') || (c.executor_id as any).value === q.get('executor_id')))
    .map(c => ({
      container_id: (c.container_id as any).value, executor_id: (c.executor_id as any).value, executor_name: c.executor_name,
      framework_id: (c.framework_id as any).value, source: '', status: c.container_status, statistics: c.resource_statistics ?? {},
    }))
}

// The UI's picture of the cluster, kept up to date from the operator API's SUBSCRIBE stream (docs/ui.md): SUBSCRIBED
// carries the whole state (get_state), then TASK_ADDED / TASK_UPDATED / AGENT_ADDED / AGENT_REMOVED /
// FRAMEWORK_ADDED / FRAMEWORK_UPDATED / FRAMEWORK_REMOVED change it. Maps are updated in place and `version` counts
// changes, so one event costs O(1) however many tasks the cluster has (the views re-render on the version).

import { addScalars, zeroScalars, type Scalars, type WireResource } from './resources.ts'

export interface Id { value: string }

export interface WireTaskStatus {
  task_id?: Id
  state: string
  message?: string
  source?: string
  reason?: string
  timestamp?: number
  healthy?: boolean
  uuid?: string
  /** Set by the UI for a state the master reported before its status update (see applyEvent). */
  latestStateOnly?: boolean
  container_status?: { network_infos?: { ip_addresses?: { ip_address?: string }[]; name?: string }[] }
}

export interface WireTask {
  name: string
  task_id: Id
  framework_id: Id
  executor_id?: Id
  agent_id: Id
  state: string
  resources?: WireResource[]
  statuses?: WireTaskStatus[]
  labels?: { labels?: { key: string; value?: string }[] }
  container?: { type?: string; mesos?: { image?: { type?: string; docker?: { name?: string } } }; network_infos?: { name?: string }[] }
  health_check?: HealthCheck
  user?: string
}

export interface HealthCheck {
  type?: string
  delay_seconds?: number
  interval_seconds?: number
  timeout_seconds?: number
  consecutive_failures?: number
  grace_period_seconds?: number
  command?: { value?: string; shell?: boolean; arguments?: string[] }
  http?: { scheme?: string; port?: number; path?: string }
  tcp?: { port?: number }
}

export interface WireAttribute { name: string; type?: string; text?: { value: string }; scalar?: { value: number }; ranges?: { range?: { begin: number; end: number }[] } }

export interface WireAgent {
  agent_info: { hostname: string; port?: number; id?: Id; attributes?: WireAttribute[]; resources?: WireResource[] }
  active?: boolean
  deactivated?: boolean
  version?: string
  pid?: string
  registered_time?: { nanoseconds: number }
  reregistered_time?: { nanoseconds: number }
  total_resources?: WireResource[]
  allocated_resources?: WireResource[]
  offered_resources?: WireResource[]
  drain_info?: { state?: string; config?: { mark_gone?: boolean; max_grace_period?: { nanoseconds: number } } }
}

export interface WireFramework {
  framework_info: { id?: Id; name: string; user?: string; roles?: string[]; role?: string; hostname?: string; principal?: string; webui_url?: string; capabilities?: { type: string }[] }
  active?: boolean
  connected?: boolean
  recovered?: boolean
  registered_time?: { nanoseconds: number }
  reregistered_time?: { nanoseconds: number }
  unregistered_time?: { nanoseconds: number }
  allocated_resources?: WireResource[]
  offered_resources?: WireResource[]
}

export interface GetState {
  get_tasks?: { tasks?: WireTask[]; unreachable_tasks?: WireTask[]; completed_tasks?: WireTask[] }
  get_frameworks?: { frameworks?: WireFramework[]; completed_frameworks?: WireFramework[] }
  get_agents?: { agents?: WireAgent[]; recovered_agents?: WireAgent['agent_info'][] }
}

export interface OperatorEvent {
  type: string
  subscribed?: { get_state?: GetState; heartbeat_interval_seconds?: number }
  task_added?: { task: WireTask }
  task_updated?: { framework_id: Id; status: WireTaskStatus; state: string }
  agent_added?: { agent: WireAgent }
  agent_removed?: { agent_id: Id }
  framework_added?: { framework: WireFramework }
  framework_updated?: { framework: WireFramework }
  framework_removed?: { framework_info: WireFramework['framework_info'] }
}

/** An agent the master no longer lists (removed, or recovered from the registry and not back yet). */
export interface GoneAgent { id: string; hostname: string; since: number; why: 'removed' | 'recovered' }

export interface ClusterState {
  /** Incremented on every change; the views compare it to know when to re-render. */
  version: number
  subscribed: boolean
  /** When the last event (heartbeats included) arrived, ms since the epoch. */
  lastEventAt: number
  heartbeatSeconds: number
  tasks: Map<string, WireTask>
  agents: Map<string, WireAgent>
  frameworks: Map<string, WireFramework>
  completedFrameworks: Map<string, WireFramework>
  goneAgents: Map<string, GoneAgent>
}

export const TERMINAL_STATES = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR'])

export const isTerminal = (state: string) => TERMINAL_STATES.has(state)

/** Tasks are keyed by framework and task id: task ids are only unique within a framework. */
export const taskKey = (frameworkId: string, taskId: string) => `${frameworkId}/${taskId}`

/** Completed tasks the UI keeps at most (the master keeps --max_completed_tasks_per_framework per framework). */
export const MAX_COMPLETED_TASKS = 5000

export function emptyClusterState(): ClusterState {
  return {
    version: 0, subscribed: false, lastEventAt: 0, heartbeatSeconds: 15,
    tasks: new Map(), agents: new Map(), frameworks: new Map(), completedFrameworks: new Map(), goneAgents: new Map(),
  }
}

/** Applies one event to `state` (in place) and returns it. Unknown event types are ignored: newer masters add some. */
export function applyEvent(state: ClusterState, event: OperatorEvent, now = Date.now()): ClusterState {
  state.lastEventAt = now
  switch (event.type) {
    case 'SUBSCRIBED': {
      // A (re)subscription replaces everything: events missed while disconnected are in this snapshot.
      const fresh = emptyClusterState()
      const s = event.subscribed?.get_state ?? {}
      for (const t of [...s.get_tasks?.completed_tasks ?? [], ...s.get_tasks?.unreachable_tasks ?? [], ...s.get_tasks?.tasks ?? []]) {
        fresh.tasks.set(taskKey(t.framework_id.value, t.task_id.value), t)
      }
      for (const a of s.get_agents?.agents ?? []) if (a.agent_info.id) fresh.agents.set(a.agent_info.id.value, a)
      for (const info of s.get_agents?.recovered_agents ?? []) {
        if (info.id) fresh.goneAgents.set(info.id.value, { id: info.id.value, hostname: info.hostname, since: now, why: 'recovered' })
      }
      for (const f of s.get_frameworks?.frameworks ?? []) if (f.framework_info.id) fresh.frameworks.set(f.framework_info.id.value, f)
      for (const f of s.get_frameworks?.completed_frameworks ?? []) if (f.framework_info.id) fresh.completedFrameworks.set(f.framework_info.id.value, f)
      state.tasks = fresh.tasks
      state.agents = fresh.agents
      state.goneAgents = fresh.goneAgents
      state.frameworks = fresh.frameworks
      state.completedFrameworks = fresh.completedFrameworks
      state.subscribed = true
      state.heartbeatSeconds = event.subscribed?.heartbeat_interval_seconds ?? state.heartbeatSeconds
      break
    }
    case 'TASK_ADDED': {
      const t = event.task_added?.task
      if (!t) return state
      state.tasks.set(taskKey(t.framework_id.value, t.task_id.value), t)
      trimCompleted(state)
      break
    }
    case 'TASK_UPDATED': {
      const u = event.task_updated
      const taskId = u?.status.task_id?.value
      if (!u || !taskId) return state
      const key = taskKey(u.framework_id.value, taskId)
      const t = state.tasks.get(key)
      if (!t) return state // an update for a task this view never saw added (filtered by the ACLs)
      let statuses = withStatus(t.statuses ?? [], u.status)
      // The latest state can run ahead of the status (an update queued on the agent behind an unacknowledged one):
      // the history shows it from when the master heard of it, until its own status arrives and replaces it.
      if (u.state !== u.status.state) statuses = withStatus(statuses, { task_id: u.status.task_id, state: u.state, timestamp: now / 1000, latestStateOnly: true })
      state.tasks.set(key, { ...t, state: u.state, statuses })
      if (isTerminal(u.state)) trimCompleted(state)
      break
    }
    case 'AGENT_ADDED': {
      const a = event.agent_added?.agent
      const id = a?.agent_info.id?.value
      if (!a || !id) return state
      state.agents.set(id, a)
      state.goneAgents.delete(id)
      break
    }
    case 'AGENT_REMOVED': {
      const id = event.agent_removed?.agent_id.value
      if (!id) return state
      const a = state.agents.get(id)
      state.agents.delete(id)
      state.goneAgents.set(id, { id, hostname: a?.agent_info.hostname ?? id, since: now, why: 'removed' })
      break
    }
    case 'FRAMEWORK_ADDED':
    case 'FRAMEWORK_UPDATED': {
      const f = event.framework_added?.framework ?? event.framework_updated?.framework
      const id = f?.framework_info.id?.value
      if (!f || !id) return state
      state.frameworks.set(id, f)
      break
    }
    case 'FRAMEWORK_REMOVED': {
      const info = event.framework_removed?.framework_info
      const id = info?.id?.value
      if (!info || !id) return state
      const f = state.frameworks.get(id)
      state.frameworks.delete(id)
      state.completedFrameworks.set(id, { ...f, framework_info: info, active: false, connected: false })
      break
    }
    case 'HEARTBEAT':
      return state // no change to show; lastEventAt tells the connection is alive
    default:
      return state
  }
  state.version++
  return state
}

/** The master keeps one status per state (a repeated state replaces the last one); so does the UI. */
function withStatus(statuses: WireTaskStatus[], status: WireTaskStatus): WireTaskStatus[] {
  const kept = statuses.at(-1)?.state === status.state ? statuses.slice(0, -1) : statuses
  return [...kept, status]
}

/** Drops the oldest completed tasks beyond MAX_COMPLETED_TASKS, so a long-open tab stays bounded. */
function trimCompleted(state: ClusterState) {
  let completed = 0
  for (const t of state.tasks.values()) if (isTerminal(t.state)) completed++
  if (completed <= MAX_COMPLETED_TASKS) return
  const oldest = [...state.tasks].filter(([, t]) => isTerminal(t.state))
    .sort(([, a], [, b]) => lastTimestamp(a) - lastTimestamp(b))
  for (const [key] of oldest.slice(0, completed - MAX_COMPLETED_TASKS)) state.tasks.delete(key)
}

/** The time of a task's latest status, seconds since the epoch (0 when it has none). */
export function lastTimestamp(t: WireTask): number {
  return t.statuses?.at(-1)?.timestamp ?? 0
}

/** Task counts by state, for the overview. */
export function countByState(tasks: Iterable<WireTask>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const t of tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1)
  return counts
}

/** The IP addresses a task's latest status reports (container networks; none for host networking). */
export function taskIps(t: WireTask): string[] {
  for (const s of [...t.statuses ?? []].reverse()) {
    const ips = (s.container_status?.network_infos ?? []).flatMap(n => n.ip_addresses ?? []).map(a => a.ip_address).filter((ip): ip is string => !!ip)
    if (ips.length) return ips
  }
  return []
}

/** The health a task's statuses report: undefined when it has no health check (or no result yet). */
export function taskHealth(t: WireTask): boolean | undefined {
  for (const s of [...t.statuses ?? []].reverse()) if (s.healthy !== undefined) return s.healthy
  return undefined
}

/** The host:port of an agent, from its pid (`slave(1)@10.0.0.2:5051`), else its hostname and port. */
export function agentAddress(a: WireAgent): string {
  const at = a.pid?.lastIndexOf('@') ?? -1
  if (a.pid && at >= 0) return a.pid.slice(at + 1)
  return `${a.agent_info.hostname}:${a.agent_info.port ?? 5051}`
}

/**
 * What the active tasks hold, summed by `by` (an agent or framework id). The stream has no event for a change of an
 * agent's allocation (the snapshot's allocated_resources age at once), so the UI counts tasks, as Mesos' UI did.
 */
export function usedBy(tasks: Iterable<WireTask>, by: (t: WireTask) => string): Map<string, Scalars> {
  const out = new Map<string, Scalars>()
  for (const t of tasks) {
    if (isTerminal(t.state)) continue
    const k = by(t)
    let s = out.get(k)
    if (!s) out.set(k, s = zeroScalars())
    addScalars(s, t.resources)
  }
  return out
}

// POST /api/v1 on the master — the v1 operator API (docs/http-api.md; upstream src/master/http.cpp, Master::Http::api).
// Each call is authorized as upstream authorizes it, with the caller's RequestAuthz (docs/security-auth.md): calls
// that act answer 403 when the ACLs refuse, state calls and the SUBSCRIBE stream show only what the caller may view.

import { posix } from 'node:path'
import type { Action, AuthzObject } from '../core/authz/authorizer.ts'
import { UNRESTRICTED, type RequestAuthz } from '../core/authz/request.ts'
import type { Viewer } from '../core/authz/viewer.ts'
import { flagStrings } from '../core/flags.ts'
import type { FileServer } from '../core/files.ts'
import { handleCommonCall } from '../core/http/common-operator-calls.ts'
import { readV1Call, subKey } from '../core/http/v1-call.ts'
import { MEDIA } from '../core/http/negotiate.ts'
import { badRequest, text } from '../core/http/responses.ts'
import { messageResponse } from '../core/v1/codec.ts'
import { message } from '../core/proto/index.ts'
import { toJsonText } from '../core/proto/json-writer.ts'
import { MASTER_FLAGS } from './flags.ts'
import { JsonStream } from './json-stream.ts'
import { HEARTBEAT_INTERVAL_SECONDS, type Master } from './master.ts'
import type { EventFilter, OperatorEvents } from './operator-events.ts'
import type { MasterState } from './state.ts'
import { masterMetrics } from './metrics-snapshot.ts'
import { operatorOperationResponse } from './operations/operator-http.ts'
import { getAgents, getExecutors, getFrameworks, getRoles, getState, getTasks } from './views-v1.ts'
import { drainConfigOf, reactivationError } from './drain.ts'
import { clusterStatus } from './maintenance/transitions.ts'
import { quotaStatus, removeQuota, setQuota, updateQuota } from './quota/handler.ts'
import { machineText } from './maintenance/schedule.ts'

const RESPONSE = 'mesos.v1.master.Response'
/** What messageResponse sends for JSON; the two big answers are streamed (json-stream.ts) with the same header. */
const JSON_HEADERS = { 'Content-Type': MEDIA.json }
/** A streamed v1 answer written as messageResponse writes JSON (src/core/proto/json-writer.ts). */
const v1JsonStream = () => new JsonStream(doc => toJsonText(message(RESPONSE), doc))

/** Calls that change state; the rest are read-only (used for authorization classes). */
export const MASTER_WRITE_CALLS = new Set(['SET_LOGGING_LEVEL', 'UPDATE_WEIGHTS', 'TEARDOWN', 'MARK_AGENT_GONE', 'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT', 'RESERVE_RESOURCES', 'UNRESERVE_RESOURCES', 'CREATE_VOLUMES', 'DESTROY_VOLUMES', 'GROW_VOLUME', 'SHRINK_VOLUME',
  'UPDATE_MAINTENANCE_SCHEDULE', 'START_MAINTENANCE', 'STOP_MAINTENANCE', 'DRAIN_AGENT', 'UPDATE_QUOTA', 'SET_QUOTA', 'REMOVE_QUOTA'])

/** What the operator API works with besides the request. */
export interface OperatorApiContext {
  master: Master
  events: OperatorEvents
  files: FileServer
  /** The caller's authorization; in-process callers without one are unrestricted. */
  authz?: RequestAuthz
}

/**
 * The ACL question a master file path asks: the master's log needs access_mesos_logs (upstream attaches
 * /master/log with authorizeLogAccess); nothing else is attached on the master.
 */
export function masterFileAction(path: string): Action | undefined {
  const p = posix.normalize(`/${path}`).replace(/\/+$/, '')
  return p === '/master/log' || p.startsWith('/master/log/') ? 'ACCESS_MESOS_LOG' : undefined
}

/** Roles of resources, once each (upstream ActionObject::reserve / createVolume: one object per role). */
function rolesOf(resources: readonly { role?: string; reservations?: readonly { role?: string }[] }[] | undefined): string[] {
  const roles = new Set<string>()
  for (const r of resources ?? []) {
    const rs = r.reservations
    roles.add((rs && rs.length ? rs[rs.length - 1]!.role : r.role) ?? '*')
  }
  return [...roles]
}

export async function handleMasterOperatorCall({ master, events, files, authz = UNRESTRICTED }: OperatorApiContext, req: Request): Promise<Response> {
  const s = master.state
  const parsed = await readV1Call<any>(req, 'mesos.v1.master.Call')
  if (parsed instanceof Response) return parsed
  const { call, codec } = parsed
  const reply = (type: string, body?: unknown) => messageResponse(RESPONSE, codec, body === undefined ? { type } : { type, [subKey(type)]: body })
  const need = (key: string) => (call[key] === undefined ? badRequest(`Failed to validate master::Call: Expecting '${key}' to be present`) : undefined)
  /** Every object must be allowed (upstream authorizes one action-object pair per role or resource). */
  const checkAll = (action: Action, objects: (AuthzObject | undefined)[], what: string) => {
    for (const o of objects.length ? objects : [undefined]) { const r = authz.check(action, o, what); if (r) return r }
    return undefined
  }

  // Authorization of the calls handled in common with the agent (core/http/common-operator-calls.ts).
  switch (call.type) {
    case 'GET_FLAGS': { const r = authz.check('VIEW_FLAGS', undefined, 'view the flags'); if (r) return r; break }
    case 'SET_LOGGING_LEVEL': { const r = authz.check('SET_LOG_LEVEL', undefined, 'set the logging level'); if (r) return r; break }
    case 'LIST_FILES':
    case 'READ_FILE': {
      const path = call[subKey(call.type)]?.path
      const action = typeof path === 'string' ? masterFileAction(path) : undefined
      if (action) { const r = authz.check(action, undefined, `access '${path}'`); if (r) return r }
      break
    }
  }

  const common = handleCommonCall({
    call, reply, files, kind: 'master', metrics: () => masterMetrics(s, events.count),
    flags: () => (s.flagStrings.length ? s.flagStrings : flagStrings(MASTER_FLAGS, s.flags)),
  })
  if (common) return common

  const viewer = authz.viewer()
  switch (call.type) {
    case 'GET_STATE':
      if (codec === 'json') { const js = v1JsonStream(); return js.response({ type: 'GET_STATE', get_state: getState(s, js, viewer) }, JSON_HEADERS) }
      return reply('GET_STATE', getState(s, undefined, viewer))
    case 'GET_AGENTS':
      if (codec === 'json') { const js = v1JsonStream(); return js.response({ type: 'GET_AGENTS', get_agents: getAgents(s, js, viewer) }, JSON_HEADERS) }
      return reply('GET_AGENTS', getAgents(s, undefined, viewer))
    case 'GET_FRAMEWORKS': return reply('GET_FRAMEWORKS', getFrameworks(s, viewer))
    case 'GET_EXECUTORS': return reply('GET_EXECUTORS', getExecutors(s, viewer))
    case 'GET_TASKS':
      if (codec === 'json') { const js = v1JsonStream(); return js.response({ type: 'GET_TASKS', get_tasks: getTasks(s, js, viewer) }, JSON_HEADERS) }
      return reply('GET_TASKS', getTasks(s, undefined, viewer))
    case 'GET_ROLES': return reply('GET_ROLES', getRoles(s, viewer))
    case 'GET_OPERATIONS': {
      const operations = s.operations.all().filter(o => !viewer || viewer.framework(s.findFramework(o.framework_id?.value ?? '')?.info ?? { user: '' }))
      return reply('GET_OPERATIONS', operations.length ? { operations } : {})
    }
    case 'GET_WEIGHTS': return reply('GET_WEIGHTS', { weight_infos: Object.entries(s.weights).filter(([role]) => !viewer || viewer.role(role)).map(([role, weight]) => ({ role, weight })) })
    case 'UPDATE_WEIGHTS': {
      const bad = need('update_weights'); if (bad) return bad
      const weights: Record<string, number> = {}
      for (const w of call.update_weights.weight_infos ?? []) {
        if (!w.role) return badRequest('Failed to validate master::Call: weight_infos must have a role')
        if (!(w.weight > 0 && Number.isFinite(w.weight))) return badRequest(`Invalid weight '${w.weight}' for role '${w.role}': weights must be positive`)
        weights[w.role] = w.weight
      }
      const denied = checkAll('UPDATE_WEIGHT', Object.keys(weights).map(role => ({ weightInfo: { role } })), `update the weights of roles ${Object.keys(weights).join(', ')}`)
      if (denied) return denied
      master.updateWeights(weights)
      return new Response(null, { status: 200 })
    }
    case 'GET_MASTER': return reply('GET_MASTER', { master_info: s.info, start_time: s.startTime, elected_time: s.electedTime })
    case 'SUBSCRIBE': {
      if (events.count >= s.flags.max_operator_event_stream_subscribers) {
        return text(503, 'Maximum number of event stream subscribers has been reached')
      }
      return events.subscribe(codec, { get_state: getState(s, undefined, viewer), heartbeat_interval_seconds: HEARTBEAT_INTERVAL_SECONDS }, HEARTBEAT_INTERVAL_SECONDS,
        viewer && eventFilter(s, viewer))
    }
    case 'TEARDOWN': {
      const bad = need('teardown'); if (bad) return bad
      const fw = s.findFramework(call.teardown.framework_id.value)
      if (!fw) return badRequest(`No framework found with specified ID ${call.teardown.framework_id.value}`)
      const denied = authz.check('TEARDOWN_FRAMEWORK', { frameworkInfo: fw.info }, `tear down framework ${fw.id}`)
      if (denied) return denied
      master.teardown(fw)
      return new Response(null, { status: 200 })
    }
    case 'MARK_AGENT_GONE': {
      const bad = need('mark_agent_gone'); if (bad) return bad
      const denied = authz.check('MARK_AGENT_GONE', undefined, 'mark agents gone'); if (denied) return denied
      const id = call.mark_agent_gone.agent_id.value
      if (s.goneAgents.has(id)) return new Response(null, { status: 200 })
      const agent = s.agents.get(id)
      if (!agent) return text(404, `Agent ${id} not found`)
      master.markAgentGone(agent)
      return new Response(null, { status: 200 })
    }
    case 'DEACTIVATE_AGENT':
    case 'REACTIVATE_AGENT': {
      const key = subKey(call.type)
      const bad = need(key); if (bad) return bad
      const denied = authz.check(call.type, undefined, `${call.type === 'DEACTIVATE_AGENT' ? 'deactivate' : 'reactivate'} agents`); if (denied) return denied
      // upstream _deactivateAgent / _reactivateAgent: recovered, registered or unreachable agents only.
      const agent = s.agents.get(call[key].agent_id.value)
      if (!agent) return badRequest('Unknown agent')
      if (call.type === 'REACTIVATE_AGENT') {
        const refused = reactivationError(agent.deactivated, s.draining.get(agent.id))
        if (refused) return badRequest(refused)
      }
      master.setAgentActive(agent, call.type === 'REACTIVATE_AGENT')
      return new Response(null, { status: 200 })
    }
    case 'DRAIN_AGENT': {
      const bad = need('drain_agent'); if (bad) return bad
      const body = call.drain_agent
      const id = body.agent_id?.value
      if (typeof id !== 'string') return badRequest("Failed to validate master::Call: Expecting 'drain_agent.agent_id' to be present")
      const agent = s.agents.get(id)
      if (agent?.connected) {
        // upstream Master::Http::drainAgent: best-effort checks on a registered agent, before authorization.
        const machine = s.maintenance.machineOf(agent)
        if (machine) return badRequest(`Agent ${id} is part of a maintenance schedule under Machine ${machineText(machine.id)}`)
        if (!agent.capabilities.includes('AGENT_DRAINING')) return badRequest(`Agent ${id} is not capable of draining`)
      }
      const denied = authz.check('DRAIN_AGENT', undefined, 'drain agents') ?? (body.mark_gone ? authz.check('MARK_AGENT_GONE', undefined, 'mark agents gone') : undefined)
      if (denied) return denied
      if (!agent) return badRequest('Unknown agent')
      const parsedConfig = drainConfigOf(body)
      if ('error' in parsedConfig) return badRequest(`Failed to validate master::Call: ${parsedConfig.error}`)
      master.drainAgent(agent, parsedConfig.config)
      return new Response(null, { status: 200 })
    }
    case 'GET_QUOTA': return reply('GET_QUOTA', { status: quotaStatus(s, authz) })
    case 'SET_QUOTA': {
      const bad = need('set_quota'); if (bad) return bad
      if (call.set_quota.quota_request === undefined) return badRequest("Failed to validate master::Call: Expecting 'set_quota.quota_request' to be present")
      return setQuota(master, authz, call.set_quota.quota_request)
    }
    case 'UPDATE_QUOTA': {
      const bad = need('update_quota'); if (bad) return bad
      return updateQuota(master, authz, call.update_quota)
    }
    case 'REMOVE_QUOTA': {
      const bad = need('remove_quota'); if (bad) return bad
      if (typeof call.remove_quota.role !== 'string') return badRequest("Failed to validate master::Call: Expecting 'remove_quota.role' to be present")
      return removeQuota(master, authz, call.remove_quota.role)
    }
    case 'GET_MAINTENANCE_STATUS': {
      // Machines are an implicit ACL object (all or none), so a refused caller sees an empty status, as upstream.
      const shown = authz.can('GET_MAINTENANCE_STATUS')
      return reply('GET_MAINTENANCE_STATUS', { status: shown ? clusterStatus({ s }) : {} })
    }
    case 'GET_MAINTENANCE_SCHEDULE':
      // As upstream's JSON: an empty schedule is `{}` (no empty `windows`).
      return reply('GET_MAINTENANCE_SCHEDULE', { schedule: authz.can('GET_MAINTENANCE_SCHEDULE') && s.maintenance.schedule.windows.length ? s.maintenance.schedule : {} })
    case 'UPDATE_MAINTENANCE_SCHEDULE': {
      const bad = need('update_maintenance_schedule'); if (bad) return bad
      const denied = authz.check('UPDATE_MAINTENANCE_SCHEDULE', undefined, 'update the maintenance schedule'); if (denied) return denied
      const invalid = master.updateMaintenanceSchedule(call.update_maintenance_schedule.schedule ?? {})
      return invalid ? badRequest(invalid) : new Response(null, { status: 200 })
    }
    case 'START_MAINTENANCE':
    case 'STOP_MAINTENANCE': {
      const key = subKey(call.type)
      const bad = need(key); if (bad) return bad
      const start = call.type === 'START_MAINTENANCE'
      const denied = authz.check(call.type, undefined, start ? 'start maintenance' : 'stop maintenance'); if (denied) return denied
      const machines = call[key].machines ?? []
      const invalid = start ? master.startMaintenance(machines) : master.stopMaintenance(machines)
      return invalid ? badRequest(invalid) : new Response(null, { status: 200 })
    }
  }
  // Calls whose feature meso does not have yet: authorized as upstream does (a refused caller learns nothing more),
  // then 501. The ACL kinds are parsed and validated all the same (core/authz/acls.ts).
  const unimplemented = (): Response | undefined => {
    const body = call[subKey(call.type)] ?? {}
    switch (call.type) {
      case 'RESERVE_RESOURCES': return checkAll('RESERVE_RESOURCES', rolesOf(body.resources).map(value => ({ value })), 'reserve resources')
      case 'UNRESERVE_RESOURCES': return checkAll('UNRESERVE_RESOURCES', (body.resources ?? []).map((resource: AuthzObject['resource']) => ({ resource })), 'unreserve resources')
      case 'CREATE_VOLUMES': return checkAll('CREATE_VOLUME', rolesOf(body.volumes).map(value => ({ value })), 'create volumes')
      case 'DESTROY_VOLUMES': return checkAll('DESTROY_VOLUME', (body.volumes ?? []).map((resource: AuthzObject['resource']) => ({ resource })), 'destroy volumes')
      case 'GROW_VOLUME':
      case 'SHRINK_VOLUME': return checkAll('RESIZE_VOLUME', rolesOf(body.volume ? [body.volume] : []).map(value => ({ value })), 'resize volumes')
    }
    return undefined
  }
  const denied = unimplemented()
  if (denied) return denied
  switch (call.type) {
    case 'RESERVE_RESOURCES':
    case 'UNRESERVE_RESOURCES':
    case 'CREATE_VOLUMES':
    case 'DESTROY_VOLUMES':
    case 'GROW_VOLUME':
    case 'SHRINK_VOLUME': {
      // Applied by the master to the agent (src/master/operations/operator.ts): 202, 400, 409.
      const key = subKey(call.type)
      const bad = need(key); if (bad) return bad
      return operatorOperationResponse(master, call.type, call[key], authz.subject)
    }
    default:
      return text(501, `Call type ${call.type} is not implemented by meso`)
  }
}


/**
 * What one SUBSCRIBE stream may see of each event (upstream Master::Subscribers::Subscriber::send): task events need
 * VIEW_TASK and VIEW_FRAMEWORK, framework events VIEW_FRAMEWORK, and resources of roles the subscriber may not view
 * are left out of framework and agent events.
 */
export function eventFilter(s: MasterState, viewer: Viewer): EventFilter {
  const frameworkInfo = (id: string) => s.findFramework(id)?.info ?? s.completedFrameworks.find(f => f.id === id)?.info ?? { user: '' }
  const findTask = (frameworkId: string, taskId: string) => {
    const fw = s.findFramework(frameworkId) ?? s.completedFrameworks.find(f => f.id === frameworkId)
    return fw?.tasks.get(taskId) ?? fw?.unreachableTasks.get(taskId) ?? fw?.completedTasks.find(t => t.task_id.value === taskId)
  }
  const trim = <T extends Record<string, unknown>>(o: T, keys: string[]): T => {
    let copy: T | undefined
    for (const k of keys) {
      const list = o[k]
      if (!Array.isArray(list)) continue
      const shown = list.filter(r => viewer.resource(r))
      if (shown.length !== list.length) (copy ??= { ...o })[k as keyof T] = shown as T[keyof T]
    }
    return copy ?? o
  }
  return (type, payload) => {
    const p = payload as Record<string, any>
    switch (type) {
      case 'TASK_ADDED': {
        const fw = frameworkInfo(p.task.framework_id.value)
        return viewer.framework(fw) && viewer.task(p.task, fw) ? payload : undefined
      }
      case 'TASK_UPDATED': {
        const fw = frameworkInfo(p.framework_id.value)
        const task = findTask(p.framework_id.value, p.status.task_id.value) ?? {}
        return viewer.framework(fw) && viewer.task(task, fw) ? payload : undefined
      }
      case 'FRAMEWORK_ADDED':
      case 'FRAMEWORK_UPDATED': {
        if (!viewer.framework(p.framework.framework_info)) return undefined
        const framework = trim(p.framework, ['allocated_resources', 'offered_resources'])
        return framework === p.framework ? payload : { ...p, framework }
      }
      case 'FRAMEWORK_REMOVED': return viewer.framework(p.framework_info) ? payload : undefined
      case 'AGENT_ADDED': {
        const agent = trim(p.agent, ['total_resources'])
        return agent === p.agent ? payload : { ...p, agent }
      }
      default: return payload
    }
  }
}

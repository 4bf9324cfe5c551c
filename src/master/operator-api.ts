// POST /api/v1 on the master — the v1 operator API (docs/http-api.md; upstream src/master/http.cpp, Master::Http::api).

import { flagStrings } from '../core/flags.ts'
import type { FileServer } from '../core/files.ts'
import { handleCommonCall } from '../core/http/common-operator-calls.ts'
import { readV1Call, subKey } from '../core/http/v1-call.ts'
import { MEDIA } from '../core/http/negotiate.ts'
import { badRequest, text } from '../core/http/responses.ts'
import { messageResponse } from '../core/v1/codec.ts'
import { MASTER_FLAGS } from './flags.ts'
import { JsonStream } from './json-stream.ts'
import { HEARTBEAT_INTERVAL_SECONDS, type Master } from './master.ts'
import type { OperatorEvents } from './operator-events.ts'
import { masterMetrics } from './metrics-snapshot.ts'
import { getAgents, getExecutors, getFrameworks, getRoles, getState, getTasks } from './views-v1.ts'

const RESPONSE = 'mesos.v1.master.Response'
/** What messageResponse sends for JSON; the two big answers are streamed (json-stream.ts) with the same header. */
const JSON_HEADERS = { 'Content-Type': MEDIA.json }

/** Calls that change state; the rest are read-only (used for authorization classes). */
export const MASTER_WRITE_CALLS = new Set(['SET_LOGGING_LEVEL', 'UPDATE_WEIGHTS', 'TEARDOWN', 'MARK_AGENT_GONE', 'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT', 'RESERVE_RESOURCES', 'UNRESERVE_RESOURCES', 'CREATE_VOLUMES', 'DESTROY_VOLUMES', 'GROW_VOLUME', 'SHRINK_VOLUME',
  'UPDATE_MAINTENANCE_SCHEDULE', 'START_MAINTENANCE', 'STOP_MAINTENANCE', 'DRAIN_AGENT', 'UPDATE_QUOTA', 'SET_QUOTA', 'REMOVE_QUOTA'])

/** What the operator API works with besides the request. */
export interface OperatorApiContext {
  master: Master
  events: OperatorEvents
  files: FileServer
}

export async function handleMasterOperatorCall({ master, events, files }: OperatorApiContext, req: Request): Promise<Response> {
  const s = master.state
  const parsed = await readV1Call<any>(req, 'mesos.v1.master.Call')
  if (parsed instanceof Response) return parsed
  const { call, codec } = parsed
  const reply = (type: string, body?: unknown) => messageResponse(RESPONSE, codec, body === undefined ? { type } : { type, [subKey(type)]: body })
  const need = (key: string) => (call[key] === undefined ? badRequest(`Failed to validate master::Call: Expecting '${key}' to be present`) : undefined)

  const common = handleCommonCall({
    call, reply, files, kind: 'master', metrics: () => masterMetrics(s, events.count),
    flags: () => (s.flagStrings.length ? s.flagStrings : flagStrings(MASTER_FLAGS, s.flags)),
  })
  if (common) return common

  switch (call.type) {
    case 'GET_STATE':
      if (codec === 'json') { const js = new JsonStream(); return js.response({ type: 'GET_STATE', get_state: getState(s, js) }, JSON_HEADERS) }
      return reply('GET_STATE', getState(s))
    case 'GET_AGENTS':
      if (codec === 'json') { const js = new JsonStream(); return js.response({ type: 'GET_AGENTS', get_agents: getAgents(s, js) }, JSON_HEADERS) }
      return reply('GET_AGENTS', getAgents(s))
    case 'GET_FRAMEWORKS': return reply('GET_FRAMEWORKS', getFrameworks(s))
    case 'GET_EXECUTORS': return reply('GET_EXECUTORS', getExecutors(s))
    case 'GET_TASKS':
      if (codec === 'json') { const js = new JsonStream(); return js.response({ type: 'GET_TASKS', get_tasks: getTasks(s, js) }, JSON_HEADERS) }
      return reply('GET_TASKS', getTasks(s))
    case 'GET_ROLES': return reply('GET_ROLES', getRoles(s))
    case 'GET_OPERATIONS': return reply('GET_OPERATIONS', {})
    case 'GET_WEIGHTS': return reply('GET_WEIGHTS', { weight_infos: Object.entries(s.weights).map(([role, weight]) => ({ role, weight })) })
    case 'UPDATE_WEIGHTS': {
      const bad = need('update_weights'); if (bad) return bad
      const weights: Record<string, number> = {}
      for (const w of call.update_weights.weight_infos ?? []) {
        if (!w.role) return badRequest('Failed to validate master::Call: weight_infos must have a role')
        if (!(w.weight > 0)) return badRequest(`Invalid weight '${w.weight}' for role '${w.role}': weights must be positive`)
        weights[w.role] = w.weight
      }
      master.updateWeights(weights)
      return new Response(null, { status: 200 })
    }
    case 'GET_MASTER': return reply('GET_MASTER', { master_info: s.info, start_time: s.startTime, elected_time: s.electedTime })
    case 'SUBSCRIBE': {
      if (events.count >= s.flags.max_operator_event_stream_subscribers) {
        return text(503, 'Maximum number of event stream subscribers has been reached')
      }
      return events.subscribe(codec, { get_state: getState(s), heartbeat_interval_seconds: HEARTBEAT_INTERVAL_SECONDS }, HEARTBEAT_INTERVAL_SECONDS)
    }
    case 'TEARDOWN': {
      const bad = need('teardown'); if (bad) return bad
      const fw = s.findFramework(call.teardown.framework_id.value)
      if (!fw) return badRequest(`No framework found with specified ID ${call.teardown.framework_id.value}`)
      master.teardown(fw)
      return new Response(null, { status: 200 })
    }
    case 'MARK_AGENT_GONE': {
      const bad = need('mark_agent_gone'); if (bad) return bad
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
      const agent = s.agents.get(call[key].agent_id.value)
      if (!agent) return text(404, `Agent ${call[key].agent_id.value} not found`)
      master.setAgentActive(agent, call.type === 'REACTIVATE_AGENT')
      return new Response(null, { status: 200 })
    }
    case 'GET_QUOTA': return reply('GET_QUOTA', { status: {} })
    case 'GET_MAINTENANCE_STATUS': return reply('GET_MAINTENANCE_STATUS', { status: {} })
    case 'GET_MAINTENANCE_SCHEDULE': return reply('GET_MAINTENANCE_SCHEDULE', { schedule: {} })
    default:
      return text(501, `Call type ${call.type} is not implemented by meso`)
  }
}


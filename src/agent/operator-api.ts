// POST /api/v1 on the agent — the v1 agent operator API (upstream Mesos: `Http::api` in src/slave/http.cpp, messages in
// include/mesos/v1/agent/agent.proto; meso's edge rules: docs/http-api.md). Container calls (nested containers,
// sessions, attach) are in container-api.ts. Calls are authorized as upstream authorizes them (authorization.ts,
// docs/security-auth.md): GET_FLAGS needs VIEW_FLAGS, SET_LOGGING_LEVEL SET_LOG_LEVEL, PRUNE_IMAGES PRUNE_IMAGES,
// file calls pass the containers gate and access_sandboxes / access_mesos_logs, state calls are filtered.

import type { FileServer } from '../core/files.ts'
import { handleCommonCall } from '../core/http/common-operator-calls.ts'
import { readV1Call, subKey } from '../core/http/v1-call.ts'
import { text } from '../core/http/responses.ts'
import { messageResponse } from '../core/v1/codec.ts'
import type { Agent } from './agent.ts'
import { authorizeFile, TRUSTED_CALLER, type AgentCaller } from './authorization.ts'
import { agentMetrics, getContainers, getExecutors, getFrameworks, getTasks } from './views.ts'

const RESPONSE = 'mesos.v1.agent.Response'

export type ContainerCallHandler = (agent: Agent, call: any, req: Request, codec: 'json' | 'protobuf', recordio: boolean) => Promise<Response | undefined>

export async function handleAgentOperatorCall(agent: Agent, files: FileServer, req: Request, containerCalls?: ContainerCallHandler, caller: AgentCaller = TRUSTED_CALLER): Promise<Response> {
  const isRecordIO = (req.headers.get('content-type') ?? '').split(';')[0]!.trim() === 'application/recordio'
  if (isRecordIO) {
    if (!containerCalls) return text(415, 'Streaming requests are not supported by this agent')
    return (await containerCalls(agent, undefined, req, 'json', true)) ?? text(415, 'Unsupported streaming request')
  }
  const parsed = await readV1Call<any>(req, 'mesos.v1.agent.Call', { streamingRecordIO: true })
  if (parsed instanceof Response) return parsed
  const { call, codec, recordio } = parsed
  if (call.type === 'ATTACH_CONTAINER_INPUT') return text(415, `Expecting 'Content-Type' to be application/recordio for ATTACH_CONTAINER_INPUT call`)
  const reply = (type: string, body?: unknown) => messageResponse(RESPONSE, codec, body === undefined ? { type } : { type, [subKey(type)]: body })
  if (recordio && !['LAUNCH_NESTED_CONTAINER_SESSION', 'ATTACH_CONTAINER_OUTPUT'].includes(call.type)) {
    return text(406, `Streaming response is not supported for ${call.type}`)
  }

  const { authz } = caller
  switch (call.type) {
    case 'GET_FLAGS': { const r = authz.check('VIEW_FLAGS', undefined, 'view the flags'); if (r) return r; break }
    case 'SET_LOGGING_LEVEL': { const r = authz.check('SET_LOG_LEVEL', undefined, 'set the logging level'); if (r) return r; break }
    case 'PRUNE_IMAGES': { const r = authz.check('PRUNE_IMAGES', undefined, 'prune images'); if (r) return r; break }
    case 'LIST_FILES':
    case 'READ_FILE': {
      const path = call[subKey(call.type)]?.path
      const r = authorizeFile(agent, caller, typeof path === 'string' ? path : '')
      if (r) return r
      break
    }
  }
  const common = handleCommonCall({ call, reply, files, kind: 'agent', flags: () => agent.flagStrings, metrics: () => agentMetrics(agent) })
  if (common) return common

  const viewer = authz.viewer()
  switch (call.type) {
    case 'GET_STATE': return reply('GET_STATE', { get_tasks: getTasks(agent, viewer), get_executors: getExecutors(agent, viewer), get_frameworks: getFrameworks(agent, viewer) })
    case 'GET_CONTAINERS': return reply('GET_CONTAINERS', await getContainers(agent, { showNested: call.get_containers?.show_nested }, viewer))
    case 'GET_FRAMEWORKS': return reply('GET_FRAMEWORKS', getFrameworks(agent, viewer))
    case 'GET_EXECUTORS': return reply('GET_EXECUTORS', getExecutors(agent, viewer))
    case 'GET_TASKS': return reply('GET_TASKS', getTasks(agent, viewer))
    case 'GET_AGENT': return reply('GET_AGENT', { agent_info: agent.info })
    case 'GET_OPERATIONS': return reply('GET_OPERATIONS', {})
    case 'GET_RESOURCE_PROVIDERS': return reply('GET_RESOURCE_PROVIDERS', {})
  }
  if (containerCalls) {
    const r = await containerCalls(agent, call, req, codec, recordio)
    if (r) return r
  }
  return text(501, `Call type ${call.type} is not implemented by meso`)
}


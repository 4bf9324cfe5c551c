// POST /api/v1 on the agent — the v1 agent operator API (upstream Mesos: `Http::api` in src/slave/http.cpp, messages in
// include/mesos/v1/agent/agent.proto; meso's edge rules: docs/http-api.md). Container calls (nested containers,
// sessions, attach) are in container-api.ts.

import type { FileServer } from '../core/files.ts'
import { handleCommonCall } from '../core/http/common-operator-calls.ts'
import { readV1Call, subKey } from '../core/http/v1-call.ts'
import { text } from '../core/http/responses.ts'
import { messageResponse } from '../core/v1/codec.ts'
import type { Agent } from './agent.ts'
import { agentMetrics, getContainers, getExecutors, getFrameworks, getTasks } from './views.ts'

const RESPONSE = 'mesos.v1.agent.Response'

export type ContainerCallHandler = (agent: Agent, call: any, req: Request, codec: 'json' | 'protobuf', recordio: boolean) => Promise<Response | undefined>

export async function handleAgentOperatorCall(agent: Agent, files: FileServer, req: Request, containerCalls?: ContainerCallHandler): Promise<Response> {
  const isRecordIO = (req.headers.get('content-type') ?? '').split(';')[0]!.trim() === 'application/recordio'
  if (isRecordIO) {
    if (!containerCalls) return text(415, 'Streaming requests are not supported by this agent')
    return (await containerCalls(agent, undefined, req, 'json', true)) ?? text(415, 'Unsupported streaming request')
  }
  const parsed = await readV1Call<any>(req, 'mesos.v1.agent.Call', { streamingRecordIO: true })
  if (parsed instanceof Response) return parsed
  const { call, codec, recordio } = parsed
  const reply = (type: string, body?: unknown) => messageResponse(RESPONSE, codec, body === undefined ? { type } : { type, [subKey(type)]: body })
  if (recordio && !['LAUNCH_NESTED_CONTAINER_SESSION', 'ATTACH_CONTAINER_OUTPUT'].includes(call.type)) {
    return text(406, `Streaming response is not supported for ${call.type}`)
  }

  const common = handleCommonCall({ call, reply, files, kind: 'agent', flags: () => agent.flagStrings, metrics: () => agentMetrics(agent) })
  if (common) return common

  switch (call.type) {
    case 'GET_STATE': return reply('GET_STATE', { get_tasks: getTasks(agent), get_executors: getExecutors(agent), get_frameworks: getFrameworks(agent) })
    case 'GET_CONTAINERS': return reply('GET_CONTAINERS', await getContainers(agent, { showNested: call.get_containers?.show_nested }))
    case 'GET_FRAMEWORKS': return reply('GET_FRAMEWORKS', getFrameworks(agent))
    case 'GET_EXECUTORS': return reply('GET_EXECUTORS', getExecutors(agent))
    case 'GET_TASKS': return reply('GET_TASKS', getTasks(agent))
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


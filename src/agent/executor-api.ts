// POST /api/v1/executor — the v1 executor API for custom executors (Mesos' include/mesos/v1/executor/executor.proto,
// served like Http::executor in src/slave/http.cpp). An authenticated caller (an executor's token, when the agent
// issues them) must carry this executor's claims fid/eid/cid, else 403 (upstream verifyExecutorClaims);
// --authenticate_http_executors makes the token required (server.ts, docs/security-auth.md).

import { readV1Call } from '../core/http/v1-call.ts'
import { badRequest, forbidden, serviceUnavailable } from '../core/http/responses.ts'
import type { Subject } from '../core/authz/authorizer.ts'
import type { Agent } from './agent.ts'
import { executorClaimsError } from './authorization.ts'
import { CustomExecutor } from './executors/custom-executor.ts'

export async function handleExecutorCall(agent: Agent, req: Request, subject?: Subject): Promise<Response> {
  if (!agent.recovered) return serviceUnavailable('Agent has not finished recovery')
  const parsed = await readV1Call<any>(req, 'mesos.v1.executor.Call')
  if (parsed instanceof Response) return parsed
  const { call, codec } = parsed
  if (call.type === 'HEARTBEAT') return new Response(null, { status: 202 })
  const exec = agent.findExecutor(call.framework_id.value, call.executor_id.value)
  if (!exec) return badRequest(agent.frameworks.has(call.framework_id.value) ? 'Executor cannot be found' : 'Framework cannot be found')
  const claims = executorClaimsError(subject, exec.frameworkId, exec.id, exec.containerId)
  if (claims) return forbidden(claims)
  if (!(exec instanceof CustomExecutor)) return badRequest(`Executor ${exec.id} is built into the agent and does not use the executor API`)
  switch (call.type) {
    case 'SUBSCRIBE':
      return exec.subscribe(codec, agent.info, call.subscribe?.unacknowledged_tasks ?? [])
    case 'UPDATE': {
      if (exec.state === 'registering') return forbidden('Executor is not subscribed')
      if (!call.update) return badRequest("Failed to validate Executor::Call: Expecting 'update' to be present")
      const err = exec.statusFromExecutor(call.update.status)
      if (err) { agent.metrics.invalidUpdates++; return badRequest(`Failed to validate Executor::Call: ${err}`) }
      return new Response(null, { status: 202 })
    }
    case 'MESSAGE':
      if (exec.state === 'registering') return forbidden('Executor is not subscribed')
      agent.sendExecutorMessage(exec.frameworkId, exec.id, call.message?.data ?? '')
      return new Response(null, { status: 202 })
    default:
      return badRequest(`Unsupported executor call ${call.type}`)
  }
}

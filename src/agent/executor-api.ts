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

/**
 * upstream common::validation::validateExecutorCall (src/common/validation.cpp), checked before any lookup: a
 * 400 `Failed to validate Executor::Call: …`. An executor speaks for itself only, so an update must say
 * SOURCE_EXECUTOR (an absent source is SOURCE_MASTER, the enum's first value, and is refused too).
 */
export function executorCallError(call: any): string | undefined {
  if (!call.type) return "Expecting 'type' to be present"
  if (!call.executor_id) return "Expecting 'executor_id' to be present"
  if (!call.framework_id) return "Expecting 'framework_id' to be present"
  const where = `executor ${call.executor_id.value} of framework ${call.framework_id.value}`
  switch (call.type) {
    case 'SUBSCRIBE':
      return call.subscribe ? undefined : "Expecting 'subscribe' to be present"
    case 'UPDATE': {
      if (!call.update) return "Expecting 'update' to be present"
      const status = call.update.status
      if (!status.uuid) return "Expecting 'uuid' to be present"
      const bytes = Buffer.from(status.uuid, 'base64').length
      if (bytes !== 16) return `Invalid UUID: expected 16 bytes, got ${bytes}`
      if (status.executor_id && status.executor_id.value !== call.executor_id.value) {
        return `ExecutorID in Call: ${call.executor_id.value} does not match ExecutorID in TaskStatus: ${status.executor_id.value}`
      }
      if ((status.source ?? 'SOURCE_MASTER') !== 'SOURCE_EXECUTOR') return `Received Call from ${where} with invalid source, expecting 'SOURCE_EXECUTOR'`
      if (status.state === 'TASK_STAGING') return `Received TASK_STAGING from ${where} which is not allowed`
      return undefined
    }
    case 'MESSAGE':
      return call.message ? undefined : "Expecting 'message' to be present"
  }
  return undefined
}

export async function handleExecutorCall(agent: Agent, req: Request, subject?: Subject): Promise<Response> {
  if (!agent.recovered) return serviceUnavailable('Agent has not finished recovery')
  const parsed = await readV1Call<any>(req, 'mesos.v1.executor.Call')
  if (parsed instanceof Response) return parsed
  const { call, codec } = parsed
  const invalid = executorCallError(call)
  if (invalid) return badRequest(`Failed to validate Executor::Call: ${invalid}`)
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
      const err = exec.statusFromExecutor(call.update.status)
      if (err) { agent.metrics.invalidUpdates++; return badRequest(`Failed to validate Executor::Call: ${err}`) }
      return new Response(null, { status: 202 })
    }
    case 'MESSAGE':
      if (exec.state === 'registering') return forbidden('Executor is not subscribed')
      agent.sendExecutorMessage(exec.frameworkId, exec.id, call.message.data)
      return new Response(null, { status: 202 })
    default:
      return badRequest(`Unsupported executor call ${call.type}`)
  }
}

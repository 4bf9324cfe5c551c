// POST /api/v1/scheduler — the v1 scheduler API (docs/http-api.md; upstream src/master/http.cpp, Master::Http::scheduler).
// Check order follows Mesos:
// method → Content-Type → parse → validate → Accept → stream id / framework lookup → call.
// Authorization (docs/security-auth.md): the framework's principal (FrameworkInfo.principal, which is the
// authenticated one when --authenticate_http_frameworks is on) is the subject, as in upstream
// Framework::createObjectApprovers; SUBSCRIBE and UPDATE_FRAMEWORK need REGISTER_FRAMEWORK for every role, each
// launched task RUN_TASK for its user, and ACCESS_SECRET for each secret path it references
// (docs/security-secrets.md).

import { badRequest, forbidden, methodNotAllowed, text } from '../core/http/responses.ts'
import { EventStream } from '../core/http/event-stream.ts'
import { MEDIA, requestCodec, responseCodec } from '../core/http/negotiate.ts'
import { limitsFor } from '../core/http/server-limits.ts'
import { newUuid } from '../core/ids.ts'
import { DEFAULT_ACLS, type Acls } from '../core/authz/acls.ts'
import { approver, frameworkRoles, type Subject } from '../core/authz/authorizer.ts'
import { decodeBody, encodeBody, ProtoJsonError } from '../core/v1/codec.ts'
import type { FrameworkInfo, TaskInfo } from '../core/v1/messages.ts'
import { taskSecurityRequest } from '../agent/isolators/task-security.ts'
import type { Master } from './master.ts'
import { operationAuthorization } from './operations/authorization.ts'
import { readAcknowledgeCall } from './acknowledge-call.ts'
import { operationAckError } from './operations/feedback.ts'
import type { TaskAuthorization } from './offers.ts'
import { secretLookup, type SecretStore } from './secret-store.ts'
import { frameworkInfoError, frameworkUpdateError, suppressedRolesError, validateSchedulerCall } from './validation/scheduler-call.ts'
import { offerConstraintsFilter, roleWhitelist, subscribeRefusal } from './frameworks.ts'

const utf8 = new TextDecoder()
/** Bodies worth trying readAcknowledgeCall on (an ACKNOWLEDGE is about 250 bytes). */
const MAX_FAST_BODY = 2048

const frameworkSubject = (info: FrameworkInfo): Subject | undefined => (info.principal !== undefined ? { value: info.principal } : undefined)

/** REGISTER_FRAMEWORK for every role the framework asks for; the refusal as upstream words it, or undefined. */
export function frameworkRegistrationError(acls: Acls, info: FrameworkInfo): string | undefined {
  if (approver(acls, frameworkSubject(info), 'REGISTER_FRAMEWORK')({ frameworkInfo: info })) return undefined
  return `Not authorized to register framework ${info.id?.value ?? ''} with roles ${JSON.stringify(frameworkRoles(info))}`
}

/**
 * RUN_TASK for each task (upstream ActionObject::taskLaunch): the user it runs as (its command's, its executor's,
 * else the framework's). A task asking for privileges beyond the secure defaults (extra capabilities or a seccomp
 * opt-out: taskSecurityRequest, src/agent/isolators/task-security.ts) is root-equivalent, so it also needs
 * run_tasks for user `root`.
 */
export function taskAuthorization(acls: Acls, info: FrameworkInfo): TaskAuthorization {
  const runTask = approver(acls, frameworkSubject(info), 'RUN_TASK')
  return (task: TaskInfo) => {
    const user = task.command?.user ?? task.executor?.command?.user ?? info.user
    if (!runTask({ taskInfo: task, frameworkInfo: info })) {
      return `Not authorized to launch task ${task.task_id.value} of framework ${info.id?.value ?? ''} under user '${user}'`
    }
    // Only a LinuxInfo asks for more than the defaults; without one (nearly every launch) there is nothing to check.
    if (!task.container?.linux_info && !task.executor?.container?.linux_info) return undefined
    const sec = taskSecurityRequest(task)
    if (sec.privileged && user !== 'root' && !runTask({ taskInfo: { command: { user: 'root' } }, frameworkInfo: info })) {
      const what = [...sec.extraCapabilities, ...(sec.seccomp ? ['unconfined' in sec.seccomp ? 'seccomp unconfined' : `seccomp profile '${sec.seccomp.profileName}'`] : [])]
      return `Not authorized to launch task ${task.task_id.value} of framework ${info.id?.value ?? ''} with privileges beyond the defaults (${what.join(', ')}): that needs run_tasks for user 'root'`
    }
    return undefined
  }
}

/** A SUBSCRIBE refused after the stream was opened: an ERROR event, then the end of the stream (upstream refuseSubscription). */
function refuseSubscription(headers: Record<string, string>, codec: 'json' | 'protobuf', message: string): Response {
  const stream = new EventStream(headers)
  stream.send(encodeBody('mesos.v1.scheduler.Event', codec, { type: 'ERROR', error: { message } }))
  stream.close()
  return stream.response
}

export async function handleSchedulerCall(master: Master, req: Request, principal?: string, acls: Acls = DEFAULT_ACLS, secrets?: SecretStore): Promise<Response> {
  if (req.method !== 'POST') return methodNotAllowed(['POST'])
  const codec = requestCodec(req)
  if (codec instanceof Response) return codec
  if (codec === 'recordio') return badRequest('Unexpected recordio body')
  let call: any
  try {
    const body = new Uint8Array(await req.arrayBuffer())
    // ACKNOWLEDGE, three per task, in the shape client libraries write it: read without the schema (acknowledge-call.ts).
    call = (codec === 'json' && body.length <= MAX_FAST_BODY && readAcknowledgeCall(utf8.decode(body), limitsFor('master').json)) ||
      decodeBody('mesos.v1.scheduler.Call', codec, body)
  } catch (err) {
    if (err instanceof ProtoJsonError) {
      const msg = err.message.startsWith('Failed to parse') ? err.message : `Failed to convert JSON into Call protobuf: ${err.message}`
      return badRequest(msg)
    }
    throw err
  }
  const invalid = validateSchedulerCall(call)
  if (invalid) return badRequest(`Failed to validate scheduler::Call: ${invalid}`)

  if (call.type === 'SUBSCRIBE') {
    const out = responseCodec(req)
    if (out instanceof Response) return out
    if (req.headers.has('mesos-stream-id')) return badRequest("Subscribe calls should not include the 'Mesos-Stream-Id' header")
    const info = call.subscribe.framework_info
    if (principal !== undefined) {
      if (info.principal !== undefined && info.principal !== principal) {
        return badRequest(`Failed to validate scheduler::Call: Authenticated principal '${principal}' does not match principal '${info.principal}' set in \`FrameworkInfo\``)
      }
      info.principal = principal
    }
    const streamId = newUuid()
    const headers = { 'Content-Type': MEDIA[out.codec], 'Mesos-Stream-Id': streamId }
    // From here on a refusal is what Mesos sends (Master::subscribe's refuseSubscription): 200 with a stream id, one
    // ERROR event, the end of the stream. Schedulers rely on it: pymesos raises instead of calling error() on a 4xx.
    const suppressedRoles: string[] = call.subscribe.suppressed_roles ?? []
    const admitted = subscribeRefusal(master.state, info, suppressedRoles, call.subscribe.offer_constraints)
    if ('error' in admitted) return refuseSubscription(headers, out.codec, admitted.error)
    const denied = frameworkRegistrationError(acls, info)
    if (denied) return refuseSubscription(headers, out.codec, denied)
    const stream = new EventStream(headers)
    const result = master.subscribe(info, suppressedRoles, { stream, streamId, codec: out.codec }, admitted.filter)
    if ('error' in result) {
      stream.send(encodeBody('mesos.v1.scheduler.Event', out.codec, { type: 'ERROR', error: { message: result.error } }))
      stream.close()
      return stream.response
    }
    const fw = result.framework
    stream.closed.then(() => master.schedulerDisconnected(fw, stream))
    return stream.response
  }

  const fwId: string = call.framework_id.value
  const fw = master.state.findFramework(fwId)
  if (!fw) return badRequest('Framework cannot be found')
  if (principal !== undefined && fw.info.principal !== undefined && fw.info.principal !== principal) {
    return badRequest(`Authenticated principal '${principal}' does not match principal '${fw.info.principal ?? ''}' set in \`FrameworkInfo\``)
  }
  if (!fw.connected) return forbidden('Framework is not subscribed')
  const streamId = req.headers.get('mesos-stream-id')
  if (!streamId) return badRequest("All non-subscribe calls should include the 'Mesos-Stream-Id' header")
  if (streamId !== fw.streamId) {
    return badRequest(`The stream ID '${streamId}' included in this request didn't match the stream ID currently associated with framework ID ${fwId}`)
  }
  const counts = fw.counters.calls
  counts.set(call.type, (counts.get(call.type) ?? 0) + 1)

  switch (call.type) {
    case 'TEARDOWN':
      master.teardown(fw)
      break
    case 'ACCEPT':
      master.accept(fw, (call.accept.offer_ids ?? []).map((o: any) => o.value), call.accept.operations ?? [], call.accept.filters?.refuse_seconds, taskAuthorization(acls, fw.info), secrets && secretLookup(secrets, acls, fw.info), operationAuthorization(acls, fw.info))
      break
    case 'DECLINE':
      master.decline(fw, (call.decline.offer_ids ?? []).map((o: any) => o.value), call.decline.filters?.refuse_seconds)
      break
    case 'REVIVE':
      master.revive(fw, call.revive?.roles)
      break
    case 'SUPPRESS':
      master.suppress(fw, call.suppress?.roles)
      break
    case 'KILL':
      master.kill(fw, call.kill.task_id.value, call.kill.agent_id?.value, call.kill.kill_policy)
      break
    case 'SHUTDOWN':
      master.shutdownExecutor(fw, call.shutdown.agent_id.value, call.shutdown.executor_id.value)
      break
    case 'ACKNOWLEDGE':
      master.acknowledge(fw, call.acknowledge.agent_id.value, call.acknowledge.task_id.value, call.acknowledge.uuid)
      break
    case 'RECONCILE':
      master.reconcile(fw, call.reconcile.tasks ?? [])
      break
    case 'MESSAGE':
      master.message(fw, call.message.agent_id.value, call.message.executor_id.value, call.message.data)
      break
    case 'REQUEST':
      // Accepted and ignored, as by Mesos' built-in allocator; counted as Master::request does.
      master.state.metrics.inc('master/messages_resource_request')
      break
    case 'ACCEPT_INVERSE_OFFERS':
    case 'DECLINE_INVERSE_OFFERS': {
      // The answer to maintenance (src/master/maintenance/): recorded for GET_MAINTENANCE_STATUS.
      const body = call.type === 'ACCEPT_INVERSE_OFFERS' ? call.accept_inverse_offers : call.decline_inverse_offers
      if (!body) return badRequest(`Failed to validate scheduler::Call: Expecting '${call.type.toLowerCase()}' to be present`)
      master.answerInverseOffers(fw, (body.inverse_offer_ids ?? []).map((o: any) => o.value), call.type === 'ACCEPT_INVERSE_OFFERS' ? 'ACCEPT' : 'DECLINE', body.filters?.refuse_seconds)
      break
    }
    case 'ACKNOWLEDGE_OPERATION_STATUS': {
      // Offer operation feedback: src/master/operations/feedback.ts.
      const invalid = operationAckError(call.acknowledge_operation_status)
      if (invalid) return badRequest(`Failed to validate scheduler::Call: ${invalid}`)
      master.acknowledgeOperationStatus(fw, call.acknowledge_operation_status)
      break
    }
    case 'RECONCILE_OPERATIONS':
      if (!call.reconcile_operations) return badRequest("Failed to validate scheduler::Call: Expecting 'reconcile_operations' to be present")
      master.reconcileOperations(fw, call.reconcile_operations.operations ?? [])
      break
    case 'UPDATE_FRAMEWORK': {
      // upstream Master::updateFramework: each check with its own prefix, all 400; authorization last (403).
      const info: FrameworkInfo = call.update_framework.framework_info
      const invalid = frameworkInfoError(info, { roleWhitelist: roleWhitelist(master.state) })
      if (invalid) return badRequest(`Supplied FrameworkInfo is not valid: ${invalid}`)
      const changed = frameworkUpdateError(fw.info, info)
      if (changed) return badRequest(`FrameworkInfo update is not valid: ${changed}`)
      const suppressedRoles: string[] = call.update_framework.suppressed_roles ?? []
      const options = suppressedRolesError(info, suppressedRoles) ?? offerConstraintsFilter(info, call.update_framework.offer_constraints)
      if (typeof options === 'string' || 'error' in options) {
        return badRequest(`'UpdateFramework' call is not valid: ${typeof options === 'string' ? options : options.error}`)
      }
      const denied = frameworkRegistrationError(acls, info)
      if (denied) return forbidden(denied)
      master.updateFramework(fw, info, suppressedRoles, options.filter)
      return new Response(null, { status: 200 })
    }
    default:
      return text(501, `Received '${call.type}' call which is not implemented`)
  }
  return new Response(null, { status: 202 })
}


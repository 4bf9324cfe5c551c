// The HTTP faces of operator operations: the v1 calls RESERVE_RESOURCES, UNRESERVE_RESOURCES, CREATE_VOLUMES,
// DESTROY_VOLUMES, GROW_VOLUME, SHRINK_VOLUME (operator-api.ts authorizes, then calls here) and the v0 endpoints
// POST /master/reserve, /master/unreserve, /master/create-volumes, /master/destroy-volumes (form-encoded `slaveId`
// and a JSON array in `resources` or `volumes`, as upstream Master::Http::reserve … parse them).

import type { Action, AuthzObject, Subject } from '../../core/authz/authorizer.ts'
import type { RequestAuthz } from '../../core/authz/request.ts'
import { badRequest, forbidden, text } from '../../core/http/responses.ts'
import type { Resource } from '../../core/resources.ts'
import type { Master } from '../master.ts'
import { authzObjects } from './authorization.ts'
import type { SpeculativeOperation } from './conversions.ts'

const CLAIMS_ONLY = "The request's authenticated principal contains claims, but no value string. The master currently requires that principals have a value"

/** A v1 operator call's body as the offer operation it stands for. */
export function operationOfCall(callType: string, body: Record<string, any>): { type: string; op: SpeculativeOperation } | undefined {
  switch (callType) {
    case 'RESERVE_RESOURCES': return { type: 'RESERVE', op: { type: 'RESERVE', reserve: { resources: body.resources ?? [], ...(body.source?.length ? { source: body.source } : {}) } } }
    case 'UNRESERVE_RESOURCES': return { type: 'UNRESERVE', op: { type: 'UNRESERVE', unreserve: { resources: body.resources ?? [] } } }
    case 'CREATE_VOLUMES': return { type: 'CREATE', op: { type: 'CREATE', create: { volumes: body.volumes ?? [] } } }
    case 'DESTROY_VOLUMES': return { type: 'DESTROY', op: { type: 'DESTROY', destroy: { volumes: body.volumes ?? [] } } }
    case 'GROW_VOLUME': return { type: 'GROW_VOLUME', op: { type: 'GROW_VOLUME', grow_volume: { volume: body.volume, addition: body.addition } } }
    case 'SHRINK_VOLUME': return { type: 'SHRINK_VOLUME', op: { type: 'SHRINK_VOLUME', shrink_volume: { volume: body.volume, subtract: body.subtract } } }
    default: return undefined
  }
}

function apply(master: Master, agentId: string, type: string, op: SpeculativeOperation, subject: Subject | undefined): Response {
  if (subject && subject.value === undefined) return forbidden(CLAIMS_ONLY)
  const outcome = master.applyOperatorOperation(agentId, op, type, subject?.value)
  if (outcome.status === 202) return new Response(null, { status: 202 })
  return outcome.status === 400 ? badRequest(outcome.message) : text(409, outcome.message)
}

/** A v1 call, already authorized by operator-api.ts. */
export function operatorOperationResponse(master: Master, callType: string, body: Record<string, any>, subject: Subject | undefined): Response {
  const agentId = body.agent_id?.value
  if (typeof agentId !== 'string') return badRequest(`Failed to validate master::Call: Expecting '${callType.toLowerCase()}.agent_id' to be present`)
  const parsed = operationOfCall(callType, body)
  if (!parsed) return badRequest(`Unsupported call ${callType}`)
  return apply(master, agentId, parsed.type, parsed.op, subject)
}

const V0: Record<string, { type: string; field: 'resources' | 'volumes'; action: Action; verb: string }> = {
  reserve: { type: 'RESERVE', field: 'resources', action: 'RESERVE_RESOURCES', verb: 'reserve resources' },
  unreserve: { type: 'UNRESERVE', field: 'resources', action: 'UNRESERVE_RESOURCES', verb: 'unreserve resources' },
  'create-volumes': { type: 'CREATE', field: 'volumes', action: 'CREATE_VOLUME', verb: 'create volumes' },
  'destroy-volumes': { type: 'DESTROY', field: 'volumes', action: 'DESTROY_VOLUME', verb: 'destroy volumes' },
}

export const V0_OPERATION_ENDPOINTS = Object.keys(V0)

/** POST /master/<endpoint> with a form body. */
export async function handleV0Operation(master: Master, endpoint: string, req: Request, authz: RequestAuthz): Promise<Response> {
  const spec = V0[endpoint]
  if (!spec) return text(404, `Unknown endpoint /master/${endpoint}`)
  if (authz.subject && authz.subject.value === undefined) return forbidden(CLAIMS_ONLY)
  const form = new URLSearchParams(await req.text())
  const agentId = form.get('slaveId')
  if (agentId === null) return badRequest("Missing 'slaveId' query parameter in the request body")
  const raw = form.get(spec.field)
  if (raw === null) return badRequest(`Missing '${spec.field}' query parameter in the request body`)
  const parseError = spec.field === 'volumes' ? "Error in parsing 'volumes' query parameter in the request body" : "Error parsing 'resources' query parameter in the request body"
  let list: unknown
  try { list = JSON.parse(raw) } catch (err) { return badRequest(`${parseError}: ${(err as Error).message}`) }
  if (!Array.isArray(list)) return badRequest(`${parseError}: expected a JSON array`)
  if (list.length > 10_000) return badRequest(`${parseError}: too many resources (${list.length})`)
  for (const r of list) if (!r || typeof r !== 'object' || typeof r.name !== 'string') return badRequest(`${parseError}: each element must be a Resource object with a 'name'`)
  let source: Resource[] | undefined
  if (spec.type === 'RESERVE' && form.has('source')) {
    try { source = JSON.parse(form.get('source')!) } catch (err) { return badRequest(`Error parsing 'source' query parameter in the request body: ${(err as Error).message}`) }
    if (!Array.isArray(source)) return badRequest("Error parsing 'source' query parameter in the request body: expected a JSON array")
  }
  const resources = list as Resource[]
  const op: SpeculativeOperation = spec.type === 'RESERVE' ? { type: 'RESERVE', reserve: { resources, ...(source?.length ? { source } : {}) } }
    : spec.type === 'UNRESERVE' ? { type: 'UNRESERVE', unreserve: { resources } }
    : spec.type === 'CREATE' ? { type: 'CREATE', create: { volumes: resources } }
    : { type: 'DESTROY', destroy: { volumes: resources } }
  const objects: AuthzObject[] = authzObjects(spec.type, op)
  for (const o of objects.length ? objects : [undefined]) {
    const denied = authz.check(spec.action, o, spec.verb)
    if (denied) return denied
  }
  return apply(master, agentId, spec.type, op, authz.subject)
}

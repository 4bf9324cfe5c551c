// The v0 maintenance endpoints (upstream Master::Http::maintenanceSchedule, maintenanceStatus, machineDown,
// machineUp): GET|POST /maintenance/schedule, GET /maintenance/status, POST /machine/down and /machine/up, with the
// JSON bodies upstream reads (a Schedule; an array of MachineIDs). server.ts routes them and authenticates; the
// caller's authorization comes in as `authz`.

import type { RequestAuthz } from '../../core/authz/request.ts'
import { badRequest, json, methodNotAllowed } from '../../core/http/responses.ts'
import { decodeBody, ProtoJsonError } from '../../core/v1/codec.ts'
import type { MachineID } from '../../core/v1/messages.ts'
import type { Master } from '../master.ts'
import { MAX_SCHEDULED_MACHINES, type MaintenanceSchedule } from './schedule.ts'
import { clusterStatus } from './transitions.ts'

const encoder = new TextEncoder()

/** Parses a JSON body as a protobuf message of `type`; a 400 with the parser's words when it is not one. */
function parseBody<T>(type: string, body: unknown): T | Response {
  try {
    return decodeBody(type, 'json', encoder.encode(JSON.stringify(body))) as T
  } catch (err) {
    if (err instanceof ProtoJsonError) return badRequest(err.message)
    throw err
  }
}

async function readJson(req: Request): Promise<unknown | Response> {
  const raw = await req.text()
  try { return JSON.parse(raw) } catch (err) { return badRequest(`Failed to parse JSON: ${(err as Error).message}`) }
}

/** GET: the schedule (`{}` when empty); POST: replace it (200, or 400 with the validation error). */
export async function maintenanceScheduleV0(master: Master, req: Request, authz: RequestAuthz): Promise<Response> {
  if (req.method === 'GET' || req.method === 'HEAD') {
    const schedule = master.state.maintenance.schedule
    return json(authz.can('GET_MAINTENANCE_SCHEDULE') && schedule.windows.length ? schedule : {}, req)
  }
  if (req.method !== 'POST') return methodNotAllowed(['GET', 'POST'])
  const body = await readJson(req)
  if (body instanceof Response) return body
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest('Expecting a JSON object (a maintenance Schedule)')
  const schedule = parseBody<MaintenanceSchedule>('mesos.v1.maintenance.Schedule', body)
  if (schedule instanceof Response) return schedule
  const denied = authz.check('UPDATE_MAINTENANCE_SCHEDULE', undefined, 'update the maintenance schedule')
  if (denied) return denied
  const invalid = master.updateMaintenanceSchedule(schedule)
  return invalid ? badRequest(invalid) : new Response(null, { status: 200 })
}

/** GET: mesos.v1.maintenance.ClusterStatus. */
export function maintenanceStatusV0(master: Master, req: Request, authz: RequestAuthz): Response {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(['GET'])
  return json(authz.can('GET_MAINTENANCE_STATUS') ? clusterStatus({ s: master.state }) : {}, req)
}

/** POST /machine/down (`mode: 'down'`) or /machine/up: a JSON array of MachineIDs. */
export async function machineModeV0(master: Master, req: Request, authz: RequestAuthz, mode: 'down' | 'up'): Promise<Response> {
  if (req.method !== 'POST') return methodNotAllowed(['POST'])
  const body = await readJson(req)
  if (body instanceof Response) return body
  if (!Array.isArray(body)) return badRequest('Expecting a JSON array of machines ([{"hostname": …, "ip": …}])')
  if (body.length > MAX_SCHEDULED_MACHINES) return badRequest(`Too many machines (${body.length}; at most ${MAX_SCHEDULED_MACHINES})`)
  const ids: MachineID[] = []
  for (const item of body) {
    const id = parseBody<MachineID>('mesos.v1.MachineID', item)
    if (id instanceof Response) return id
    ids.push(id)
  }
  const action = mode === 'down' ? 'START_MAINTENANCE' : 'STOP_MAINTENANCE'
  const denied = authz.check(action, undefined, mode === 'down' ? 'bring machines down' : 'bring machines up')
  if (denied) return denied
  const invalid = mode === 'down' ? master.startMaintenance(ids) : master.stopMaintenance(ids)
  return invalid ? badRequest(invalid) : new Response(null, { status: 200 })
}

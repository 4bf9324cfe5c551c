// Metronome's /v1 REST API over the jobs service (its JobSpecController, JobRunController and
// JobScheduleController: the same paths, status codes and bodies), and meso's pipeline runs:
//   /v1/jobs                                   GET (?embed=…), POST
//   /v1/jobs/{id}                              GET (?embed=…), PUT, DELETE (?stopCurrentJobRuns=true)
//   /v1/jobs/{id}/runs                         GET (active runs), POST (a run; a pipeline run with dependencies;
//                                              ?from=STEP reruns a pipeline from a step)
//   /v1/jobs/{id}/runs/{run}                   GET
//   /v1/jobs/{id}/runs/{run}/actions/stop      POST
//   /v1/jobs/{id}/schedules                    GET, POST
//   /v1/jobs/{id}/schedules/{schedule}         GET, PUT, DELETE
//   /v1/pipelines/{id}/runs(/{pipeline run})   GET
// Authentication is the caller's (server.ts); this answers a request already admitted. Authorization: everything
// that decides what runs (creating, changing or deleting a job, starting or stopping a run, a schedule) needs the
// caller to be allowed run_tasks (RUN_TASK) as the job's user (run.user, else the master's), since the jobs
// framework launches it on the caller's behalf; reads need nothing beyond authentication (Metronome's view
// permissions are DC/OS IAM's, which Mesos ACLs have no action for).

import type { RequestAuthz } from '../../core/authz/request.ts'
import { readBody } from '../../core/http/body.ts'
import { currentUserName } from '../../core/posix-user.ts'
import { KvValueTooLarge } from '../builtin-frameworks/store.ts'
import { JobsError, type JobsService } from './jobs-service.ts'
import { parseJobSpec, parseSchedule, SpecError } from './job-spec.ts'
import { PipelineError } from './pipeline-run.ts'
import { EMBEDS, jobInfoJson, pipelineRunJson, runJson, scheduleJson, specJson, type Embed } from './jobs-views.ts'

/** The largest job spec or schedule accepted (Metronome's are a few KB). */
export const JOBS_BODY_LIMIT = 256 * 1024

const reply = (status: number, body?: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } })

function embeds(url: URL): Set<Embed> | Response {
  const values = url.searchParams.getAll('embed').flatMap(v => v.split(',')).map(v => v.trim()).filter(Boolean)
  const bad = values.filter(v => !EMBEDS.includes(v as Embed))
  if (bad.length) return reply(400, { message: `Unknown embed value(s): ${bad.join(', ')}; expected ${EMBEDS.join(', ')}` })
  return new Set(values as Embed[])
}

async function jsonBody(req: Request, path: string): Promise<unknown> {
  const body = await readBody(req, JOBS_BODY_LIMIT, path)
  if (body instanceof Response) throw body
  try {
    return JSON.parse(new TextDecoder().decode(body))
  } catch (err) {
    throw reply(400, { message: `Invalid Json: ${(err as Error).message}` })
  }
}

/** Whether `method` and path segments name a write (read-write realm) rather than a read. */
export function isJobsWrite(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD'
}

/** RUN_TASK as the job's user for the caller, or the 403 to answer (thrown). */
function mayRun(authz: RequestAuthz, spec: { id: string; run: { user?: string } }): void {
  const user = spec.run.user ?? currentUserName()
  const denied = authz.check('RUN_TASK', { taskInfo: { command: { user } } }, `run job '${spec.id}' as user '${user}'`)
  if (denied) throw denied
}

export async function handleJobsRequest(service: JobsService, authz: RequestAuthz, req: Request, url: URL): Promise<Response> {
  try {
    return await route(service, authz, req, url)
  } catch (err) {
    if (err instanceof Response) return err
    if (err instanceof SpecError) return reply(422, err.body())
    if (err instanceof JobsError) return reply(err.status, err.body)
    if (err instanceof PipelineError) return reply(422, { message: 'Object is not valid', details: [{ path: '/from', errors: [err.message] }] })
    if (err instanceof KvValueTooLarge) return reply(422, { message: err.message })
    throw err
  }
}

async function route(service: JobsService, authz: RequestAuthz, req: Request, url: URL): Promise<Response> {
  const parts = url.pathname.replace(/^\/master/, '').split('/').filter(Boolean).map(decodeURIComponent)
  const method = req.method === 'HEAD' ? 'GET' : req.method
  const nextRunAt = (jobId: string) => (scheduleId: string) => service.nextRunAt(jobId, scheduleId)
  const notAllowed = (allow: string[]) => new Response(null, { status: 405, headers: { Allow: allow.join(', ') } })
  if (parts[0] === 'v1' && parts[1] === 'pipelines') {
    const [, , jobId, runs, pipelineRunId, ...rest] = parts
    if (!jobId || runs !== 'runs' || rest.length) return reply(404, { message: 'Not found' })
    if (method !== 'GET') return notAllowed(['GET'])
    if (pipelineRunId) return reply(200, pipelineRunJson(service.pipelineRun(jobId, pipelineRunId)))
    return reply(200, service.pipelineRuns(jobId).map(pipelineRunJson))
  }
  const [, , jobId, sub, subId, action, verb, ...rest] = parts
  if (rest.length) return reply(404, { message: 'Not found' })
  if (!jobId) {
    if (method === 'GET') {
      const embed = embeds(url)
      if (embed instanceof Response) return embed
      return reply(200, [...service.specs.values()].sort((a, b) => a.id.localeCompare(b.id))
        .map(s => jobInfoJson(s, embed, { activeRuns: service.activeRuns(s.id), history: service.history(s.id), nextRunAt: nextRunAt(s.id) })))
    }
    if (method === 'POST') {
      const parsed = parseJobSpec(await jsonBody(req, '/v1/jobs'))
      mayRun(authz, parsed)
      const spec = service.createJob(parsed)
      return reply(201, specJson(spec, nextRunAt(spec.id)))
    }
    return notAllowed(['GET', 'POST'])
  }
  if (sub === undefined) {
    if (method === 'GET') {
      const embed = embeds(url)
      if (embed instanceof Response) return embed
      const spec = service.getSpec(jobId)
      return reply(200, jobInfoJson(spec, embed, { activeRuns: service.activeRuns(jobId), history: service.history(jobId), nextRunAt: nextRunAt(jobId) }))
    }
    if (method === 'PUT') {
      const body = await jsonBody(req, '/v1/jobs')
      mayRun(authz, service.getSpec(jobId))
      const parsed = parseJobSpec(body, jobId)
      mayRun(authz, parsed)
      const spec = service.updateJob(parsed)
      return reply(200, specJson(spec, nextRunAt(jobId)))
    }
    if (method === 'DELETE') {
      mayRun(authz, service.getSpec(jobId))
      const spec = service.deleteJob(jobId, url.searchParams.get('stopCurrentJobRuns') === 'true')
      return reply(200, specJson(spec, () => undefined))
    }
    return notAllowed(['GET', 'PUT', 'DELETE'])
  }
  if (sub === 'runs') {
    if (subId === undefined) {
      if (method === 'GET') {
        service.getSpec(jobId)
        return reply(200, service.activeRuns(jobId).map(runJson))
      }
      if (method === 'POST') {
        const spec = service.getSpec(jobId)
        mayRun(authz, spec)
        const from = url.searchParams.get('from') ?? undefined
        if (spec.dependencies.length || from !== undefined) return reply(201, pipelineRunJson(service.startPipeline(jobId, from)))
        return reply(201, runJson(service.startRun(jobId)))
      }
      return notAllowed(['GET', 'POST'])
    }
    if (action === undefined) {
      if (method !== 'GET') return notAllowed(['GET'])
      return reply(200, runJson(service.getRun(jobId, subId)))
    }
    if (action === 'actions' && verb === 'stop') {
      if (method !== 'POST') return notAllowed(['POST'])
      mayRun(authz, service.getSpec(jobId))
      return reply(200, runJson(service.stopRun(jobId, subId)))
    }
    return reply(404, { message: 'Not found' })
  }
  if (sub === 'schedules' && action === undefined) {
    const spec = service.getSpec(jobId)
    if (method !== 'GET') mayRun(authz, spec)
    if (subId === undefined) {
      if (method === 'GET') return reply(200, spec.schedules.map(s => scheduleJson(s, service.nextRunAt(jobId, s.id))))
      if (method === 'POST') {
        const s = service.addSchedule(jobId, parseSchedule(await jsonBody(req, '/v1/jobs')))
        return reply(201, scheduleJson(s, service.nextRunAt(jobId, s.id)))
      }
      return notAllowed(['GET', 'POST'])
    }
    if (method === 'GET') {
      const s = spec.schedules.find(x => x.id === subId)
      return s ? reply(200, scheduleJson(s, service.nextRunAt(jobId, s.id))) : reply(404, { id: subId, message: 'Schedule not found' })
    }
    if (method === 'PUT') {
      const s = service.updateSchedule(jobId, parseSchedule(await jsonBody(req, '/v1/jobs'), subId))
      return reply(200, scheduleJson(s, service.nextRunAt(jobId, s.id)))
    }
    if (method === 'DELETE') {
      service.deleteSchedule(jobId, subId)
      return reply(200)
    }
    return notAllowed(['GET', 'PUT', 'DELETE'])
  }
  return reply(404, { message: 'Not found' })
}

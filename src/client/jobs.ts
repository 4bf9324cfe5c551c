// The master's jobs service over Metronome's /v1 REST API (docs/jobs.md): job specs, runs, schedules, and meso's
// pipelines (jobs with `dependencies`). Shapes are Metronome's; the meso extensions are `dependencies` runs that
// answer with a pipeline run, /v1/pipelines/{id}/runs, and a finished run's `exitCode`.

import { CREDENTIALS_HINT } from './credentials.ts'
import { CliError, request } from './cluster.ts'

export interface ScheduleSpec {
  id: string
  cron: string
  timezone?: string
  startingDeadlineSeconds?: number
  concurrencyPolicy?: 'ALLOW' | 'FORBID'
  enabled?: boolean
  /** Written by the server: the next time the schedule fires. */
  nextRunAt?: string
}

export interface JobRunTask { id: string; status: string; startedAt?: string; completedAt?: string | null }

export type JobRunStatus = 'INITIAL' | 'STARTING' | 'ACTIVE' | 'SUCCESS' | 'FAILED'

export interface JobRun {
  id: string
  jobId: string
  status: JobRunStatus | string
  createdAt: string
  completedAt?: string | null
  tasks: JobRunTask[]
  /** meso extension: the command's exit code once the run finished. */
  exitCode?: number
  /** meso extension: why a FAILED run failed, in words. */
  failureReason?: string
}

/** An entry of a job's history (Metronome's JobRunInfo). */
export interface FinishedRun { id: string; createdAt: string; finishedAt: string; tasks: string[] }

export interface JobHistory {
  successCount: number
  failureCount: number
  lastSuccessAt?: string | null
  lastFailureAt?: string | null
  successfulFinishedRuns?: FinishedRun[]
  failedFinishedRuns?: FinishedRun[]
}

export interface JobSpec {
  id: string
  description?: string
  dependencies?: { id: string }[]
  labels?: Record<string, string>
  run: {
    cmd?: string
    args?: string[]
    cpus?: number
    mem?: number
    disk?: number
    gpus?: number
    user?: string
    env?: Record<string, unknown>
    docker?: { image: string }
    ucr?: { image?: { id?: string } }
    restart?: { policy?: string; activeDeadlineSeconds?: number }
    maxLaunchDelay?: number
    [key: string]: unknown
  }
  schedules?: ScheduleSpec[]
}

/** A job as GET /v1/jobs answers it, with what `embed` asked for. */
export interface JobInfo extends JobSpec {
  activeRuns?: JobRun[]
  history?: JobHistory
  historySummary?: Omit<JobHistory, 'successfulFinishedRuns' | 'failedFinishedRuns'>
}

export type StepStatus = 'WAITING' | 'ACTIVE' | 'SUCCESS' | 'FAILED' | 'SKIPPED' | 'REUSED'

export interface PipelineStep {
  jobId: string
  dependencies: string[]
  status: StepStatus | string
  runId?: string
  /** For a SKIPPED step: the failed step that stopped it. */
  skippedBecause?: string
  startedAt?: string
  finishedAt?: string
}

export interface PipelineRun {
  id: string
  jobId: string
  status: 'ACTIVE' | 'SUCCESS' | 'FAILED' | string
  createdAt: string
  finishedAt?: string
  steps: PipelineStep[]
}

export type Embed = 'activeRuns' | 'schedules' | 'history' | 'historySummary'

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' }

/** Metronome's 4xx bodies: `{message}`, plus `details: [{path, errors}]` for a 422. */
interface ErrorBody { message?: string; details?: { path?: string; errors?: string[] }[] }

/**
 * One line for a failed call: `<what> failed: <message>: /run/cpus: is less than 0.01; /id: …` (Metronome's 422
 * details, path by path), or the status line and the body's first line when it is not Metronome's JSON.
 */
export function jobApiErrorLine(what: string, status: number, statusText: string, body: string): string {
  let parsed: ErrorBody | undefined
  try { parsed = JSON.parse(body) as ErrorBody } catch { /* not JSON */ }
  let why: string
  if (parsed && typeof parsed === 'object' && (parsed.message || parsed.details)) {
    const details = (parsed.details ?? []).map(d => `${d.path || '/'}: ${(d.errors ?? []).join(', ') || 'invalid'}`)
    why = [parsed.message, details.join('; ')].filter(Boolean).join(': ')
  } else {
    const first = body.trim().split('\n')[0]
    why = `${status} ${statusText}${first ? `: ${first}` : ''}`
  }
  return `${what} failed: ${why.replace(/\s*\n\s*/g, ' ')}${status === 401 ? `; ${CREDENTIALS_HINT}` : ''}`
}

async function call<T>(url: string, what: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await request(url, { ...init, headers: JSON_HEADERS })
  const text = await res.text()
  if (!res.ok) throw new JobApiError(jobApiErrorLine(what, res.status, res.statusText, text), res.status, serverMessage(text))
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T }
}

/** A refused call; `status` and the server's own `serverMessage` let callers react to 404 and 409. */
export class JobApiError extends CliError {
  constructor(message: string, readonly status: number, readonly serverMessage = '') { super(message) }
}

function serverMessage(body: string): string {
  try { return String((JSON.parse(body) as ErrorBody).message ?? '') } catch { return '' }
}

const enc = encodeURIComponent
const embedQuery = (embed: readonly Embed[]) => (embed.length ? `?${embed.map(e => `embed=${e}`).join('&')}` : '')

export class JobsClient {
  constructor(readonly master: string) {}

  private url(path: string) { return `${this.master}/v1${path}` }

  async list(embed: readonly Embed[] = []): Promise<JobInfo[]> {
    return (await call<JobInfo[]>(this.url(`/jobs${embedQuery(embed)}`), 'listing jobs')).body ?? []
  }

  async get(id: string, embed: readonly Embed[] = []): Promise<JobInfo> {
    return (await call<JobInfo>(this.url(`/jobs/${enc(id)}${embedQuery(embed)}`), `reading job '${id}'`)).body
  }

  async create(spec: JobSpec): Promise<JobInfo> {
    return (await call<JobInfo>(this.url('/jobs'), `creating job '${spec.id}'`, { method: 'POST', body: JSON.stringify(spec) })).body
  }

  async replace(spec: JobSpec): Promise<JobInfo> {
    return (await call<JobInfo>(this.url(`/jobs/${enc(spec.id)}`), `replacing job '${spec.id}'`, { method: 'PUT', body: JSON.stringify(spec) })).body
  }

  async remove(id: string, stopRuns: boolean): Promise<void> {
    await call(this.url(`/jobs/${enc(id)}${stopRuns ? '?stopCurrentJobRuns=true' : ''}`), `removing job '${id}'`, { method: 'DELETE' })
  }

  /** Starts a run: Metronome's run object for a plain job, a pipeline run for a job with dependencies. */
  async start(id: string, from?: string): Promise<JobRun | PipelineRun> {
    const q = from !== undefined ? `?from=${enc(from)}` : ''
    return (await call<JobRun | PipelineRun>(this.url(`/jobs/${enc(id)}/runs${q}`), `starting a run of job '${id}'`, { method: 'POST' })).body
  }

  async activeRuns(id: string): Promise<JobRun[]> {
    return (await call<JobRun[]>(this.url(`/jobs/${enc(id)}/runs`), `listing the runs of job '${id}'`)).body ?? []
  }

  async run(id: string, runId: string): Promise<JobRun> {
    return (await call<JobRun>(this.url(`/jobs/${enc(id)}/runs/${enc(runId)}`), `reading run ${runId} of job '${id}'`)).body
  }

  async stop(id: string, runId: string): Promise<void> {
    await call(this.url(`/jobs/${enc(id)}/runs/${enc(runId)}/actions/stop`), `stopping run ${runId} of job '${id}'`, { method: 'POST' })
  }

  async schedules(id: string): Promise<ScheduleSpec[]> {
    return (await call<ScheduleSpec[]>(this.url(`/jobs/${enc(id)}/schedules`), `listing the schedules of job '${id}'`)).body ?? []
  }

  async addSchedule(id: string, s: ScheduleSpec): Promise<ScheduleSpec> {
    return (await call<ScheduleSpec>(this.url(`/jobs/${enc(id)}/schedules`), `adding schedule '${s.id}' to job '${id}'`, { method: 'POST', body: JSON.stringify(s) })).body
  }

  async replaceSchedule(id: string, s: ScheduleSpec): Promise<ScheduleSpec> {
    return (await call<ScheduleSpec>(this.url(`/jobs/${enc(id)}/schedules/${enc(s.id)}`), `replacing schedule '${s.id}' of job '${id}'`, { method: 'PUT', body: JSON.stringify(s) })).body
  }

  async removeSchedule(id: string, scheduleId: string): Promise<void> {
    await call(this.url(`/jobs/${enc(id)}/schedules/${enc(scheduleId)}`), `removing schedule '${scheduleId}' of job '${id}'`, { method: 'DELETE' })
  }

  /** The pipeline runs of a job with dependencies, newest first. */
  async pipelineRuns(id: string): Promise<PipelineRun[]> {
    return (await call<PipelineRun[]>(this.url(`/pipelines/${enc(id)}/runs`), `listing the pipeline runs of job '${id}'`)).body ?? []
  }

  async pipelineRun(id: string, runId: string): Promise<PipelineRun> {
    return (await call<PipelineRun>(this.url(`/pipelines/${enc(id)}/runs/${enc(runId)}`), `reading pipeline run ${runId} of job '${id}'`)).body
  }
}

export const isPipelineRun = (r: JobRun | PipelineRun): r is PipelineRun => Array.isArray((r as PipelineRun).steps)

/**
 * A Metronome timestamp (`2016-07-15T13:02:59.735+0000`, or ISO 8601) as epoch seconds; undefined when absent or
 * unreadable. The `+0000` offset form is not one Date.parse must accept, so it is rewritten to `+00:00` first.
 */
export function epochSeconds(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined
  const ms = Date.parse(ts.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))
  return Number.isFinite(ms) ? ms / 1000 : undefined
}

// The jobs scheduler's state and operations: job specs, schedules, active runs, history and pipeline runs, kept in
// the jobs namespace of the master's key-value area (builtin-frameworks/store.ts) and changed only here. The REST
// API (jobs-api.ts) calls the operations; the framework side (jobs-framework.ts) reports launches and task status
// updates and asks what to launch; `tick` (every second) fires schedules and applies deadlines. The decisions are
// the pure modules': job-run.ts, job-history.ts, schedule-decision.ts, pipeline-graph.ts, pipeline-run.ts.
//
// Keys: spec/<job>, run/<job>/<run> (active runs), history/<job> (counts and run ids), finished/<job>/<run>,
// schedule/<job>/<schedule> (the next firing time not handled yet), pipeline/<job>/<pipeline run>.

import { logger } from '../../core/log.ts'
import type { NamespaceStore } from '../builtin-frameworks/store.ts'
import { emptyHistory, findFinishedRun, recordFinishedRun, type JobHistory } from './job-history.ts'
import { checkRunDeadlines, isFinishedRun, liveTask, newRun, newRunId, onStopRequested, onTaskLaunched, onTaskStatus, wantsLaunch, type JobRun } from './job-run.ts'
import type { JobSpec, ScheduleSpec } from './job-spec.ts'
import { dependentsOf, pipelineSteps, validateDependencies } from './pipeline-graph.ts'
import { abortPipelineRun, newPipelineRun, onStepFinished, onStepStarted, stepsToStart, type PipelineRun } from './pipeline-run.ts'
import { decideSchedule } from './schedule-decision.ts'
import { nextFireTime, parseCron } from './cron.ts'

const log = logger('jobs')

/** An operation refused: the HTTP status and Metronome's body. */
export class JobsError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>) { super(String(body.message)) }
}

export const jobNotFound = (id: string) => new JobsError(404, { id, message: 'Job not found' })
export const runNotFound = (jobId: string, id: string) => new JobsError(404, { jobSpec: jobId, id, message: 'Job Run not found' })
export const scheduleNotFound = (id: string) => new JobsError(404, { id, message: 'Schedule not found' })

/** Tasks to kill, by the framework side (which knows the agents). */
export interface TaskKiller { kill(taskId: string, agentId: string | undefined, gracePeriodSeconds?: number): void }

/** How many task records a run keeps (an ON_FAILURE run relaunching for hours keeps its newest). */
const MAX_TASKS_PER_RUN = 20

export interface JobsServiceOptions {
  historyLimit: number
  now?: () => number
  random?: () => number
}

export class JobsService {
  readonly specs = new Map<string, JobSpec>()
  /** Active runs by job, then run id. */
  readonly runs = new Map<string, Map<string, JobRun>>()
  private readonly histories = new Map<string, JobHistory>()
  private readonly pipelines = new Map<string, PipelineRun[]>()
  /** The next firing time not yet handled, by `<job>/<schedule>`. */
  private readonly pendingFire = new Map<string, number>()
  /** Agents of launched tasks (for kills), by task id. */
  readonly taskAgents = new Map<string, string>()
  private readonly now: () => number
  private readonly random: () => number
  /** Called when runs may want launching (the framework revives offers). */
  onWantsOffers: () => void = () => {}
  /** Called when a job is created (the framework subscribes once there is a first job: start-jobs.ts). */
  onJobCreated: () => void = () => {}
  killer: TaskKiller = { kill: () => {} }

  constructor(private readonly store: NamespaceStore, private readonly opts: JobsServiceOptions) {
    this.now = opts.now ?? Date.now
    this.random = opts.random ?? Math.random
    this.recover()
  }

  private recover() {
    for (const [key, value] of this.store.list('spec/')) this.specs.set(key.slice(5), JSON.parse(value))
    for (const [, value] of this.store.list('run/')) {
      const run = JSON.parse(value) as JobRun & { agents?: Record<string, string> }
      for (const [t, a] of Object.entries(run.agents ?? {})) this.taskAgents.set(t, a)
      delete run.agents
      this.activeRunsOf(run.jobId).set(run.id, run)
    }
    for (const [key, value] of this.store.list('history/')) {
      const jobId = key.slice('history/'.length)
      const h = JSON.parse(value) as Omit<JobHistory, 'successfulRuns' | 'failedRuns'> & { successful: string[]; failed: string[] }
      const load = (ids: string[]) => ids.flatMap(id => { const v = this.store.get(`finished/${jobId}/${id}`); return v ? [JSON.parse(v) as JobRun] : [] })
      const { successful, failed, ...counts } = h
      this.histories.set(jobId, { ...counts, successfulRuns: load(successful), failedRuns: load(failed) })
    }
    for (const [key, value] of this.store.list('schedule/')) this.pendingFire.set(key.slice('schedule/'.length), JSON.parse(value).pendingAt)
    for (const [, value] of this.store.list('pipeline/')) {
      const p = JSON.parse(value) as PipelineRun
      const list = this.pipelines.get(p.jobId) ?? []
      list.push(p)
      this.pipelines.set(p.jobId, list)
    }
    for (const list of this.pipelines.values()) list.sort((a, b) => b.createdAt - a.createdAt)
    const active = [...this.runs.values()].reduce((n, m) => n + m.size, 0)
    if (this.specs.size) log.info(`Recovered ${this.specs.size} job(s), ${active} active run(s)`)
  }

  // ------------------------------------------------------------------------------------------- persistence

  private saveRun(run: JobRun) {
    const agents = Object.fromEntries(run.tasks.flatMap(t => { const a = this.taskAgents.get(t.id); return a ? [[t.id, a]] : [] }))
    this.store.put(`run/${run.jobId}/${run.id}`, JSON.stringify({ ...run, agents }))
  }

  private saveHistory(jobId: string, h: JobHistory) {
    const { successfulRuns, failedRuns, ...counts } = h
    this.store.put(`history/${jobId}`, JSON.stringify({ ...counts, successful: successfulRuns.map(r => r.id), failed: failedRuns.map(r => r.id) }))
  }

  private savePipeline(p: PipelineRun) { this.store.put(`pipeline/${p.jobId}/${p.id}`, JSON.stringify(p)) }

  private activeRunsOf(jobId: string): Map<string, JobRun> {
    let m = this.runs.get(jobId)
    if (!m) { m = new Map(); this.runs.set(jobId, m) }
    return m
  }

  // ------------------------------------------------------------------------------------------- specs

  getSpec(id: string): JobSpec {
    const s = this.specs.get(id)
    if (!s) throw jobNotFound(id)
    return s
  }

  createJob(spec: JobSpec): JobSpec {
    if (this.specs.has(spec.id)) throw new JobsError(409, { message: 'Job with this id already exists' })
    validateDependencies(spec, this.specs)
    this.putSpec(spec)
    this.onJobCreated()
    return spec
  }

  /** PUT /v1/jobs/{id}: the schedules stay as they were (Metronome's updateJob). */
  updateJob(spec: JobSpec): JobSpec {
    const old = this.getSpec(spec.id)
    const updated = { ...spec, schedules: old.schedules }
    validateDependencies(updated, this.specs)
    this.putSpec(updated)
    return updated
  }

  private putSpec(spec: JobSpec) {
    this.store.put(`spec/${spec.id}`, JSON.stringify(spec))
    this.specs.set(spec.id, spec)
    const keep = new Set(spec.schedules.map(s => `${spec.id}/${s.id}`))
    for (const key of [...this.pendingFire.keys()]) {
      if (key.startsWith(`${spec.id}/`) && !keep.has(key)) { this.pendingFire.delete(key); this.store.remove(`schedule/${key}`) }
    }
    for (const s of spec.schedules) this.armSchedule(spec.id, s)
  }

  /** (Re)computes a schedule's next firing time from now (a new, changed or re-enabled schedule). */
  private armSchedule(jobId: string, s: ScheduleSpec) {
    const key = `${jobId}/${s.id}`
    const next = nextFireTime(parseCron(s.cron), s.timezone, this.now())
    if (next === undefined) { this.pendingFire.delete(key); this.store.remove(`schedule/${key}`); return }
    this.pendingFire.set(key, next)
    this.store.put(`schedule/${key}`, JSON.stringify({ pendingAt: next }))
  }

  deleteJob(id: string, stopCurrentJobRuns: boolean): JobSpec {
    const spec = this.getSpec(id)
    const active = [...this.activeRunsOf(id).values()]
    if (active.length && !stopCurrentJobRuns) throw new JobsError(409, { message: 'There are active job runs. Override with stopCurrentJobRuns=true' })
    const children = dependentsOf(id, this.specs)
    if (children.length) throw new JobsError(409, { message: `There are jobs with a dependency on ${id}. children=[${children.join(', ')}]` })
    for (const run of active) this.stopRun(id, run.id)
    for (const key of [...this.store.list(`run/${id}/`), ...this.store.list(`finished/${id}/`), ...this.store.list(`pipeline/${id}/`), ...this.store.list(`schedule/${id}/`)].map(([k]) => k)) this.store.remove(key)
    this.store.remove(`history/${id}`)
    this.store.remove(`spec/${id}`)
    for (const key of [...this.pendingFire.keys()]) if (key.startsWith(`${id}/`)) this.pendingFire.delete(key)
    this.specs.delete(id)
    this.runs.delete(id)
    this.histories.delete(id)
    this.pipelines.delete(id)
    return spec
  }

  // ------------------------------------------------------------------------------------------- schedules

  nextRunAt(jobId: string, scheduleId: string): number | undefined { return this.pendingFire.get(`${jobId}/${scheduleId}`) }

  addSchedule(jobId: string, s: ScheduleSpec): ScheduleSpec {
    const spec = this.getSpec(jobId)
    if (spec.schedules.some(x => x.id === s.id)) throw new JobsError(409, { message: `A schedule with id ${s.id} already exists` })
    if (spec.schedules.length) throw new JobsError(409, { message: 'Only one schedule supported at the moment' })
    if (spec.dependencies.length) throw new JobsError(409, { message: 'Jobs may not have both dependencies and schedules specified' })
    this.putSpec({ ...spec, schedules: [s, ...spec.schedules] })
    return s
  }

  updateSchedule(jobId: string, s: ScheduleSpec): ScheduleSpec {
    const spec = this.getSpec(jobId)
    if (!spec.schedules.some(x => x.id === s.id)) throw scheduleNotFound(s.id)
    this.putSpec({ ...spec, schedules: [s, ...spec.schedules.filter(x => x.id !== s.id)] })
    return s
  }

  deleteSchedule(jobId: string, scheduleId: string): void {
    const spec = this.getSpec(jobId)
    if (!spec.schedules.some(x => x.id === scheduleId)) throw scheduleNotFound(scheduleId)
    this.putSpec({ ...spec, schedules: spec.schedules.filter(x => x.id !== scheduleId) })
  }

  // ------------------------------------------------------------------------------------------- runs

  activeRuns(jobId: string): JobRun[] {
    return [...this.activeRunsOf(jobId).values()].sort((a, b) => a.createdAt - b.createdAt)
  }

  allActiveRuns(): JobRun[] {
    return [...this.runs.values()].flatMap(m => [...m.values()]).sort((a, b) => a.createdAt - b.createdAt)
  }

  history(jobId: string): JobHistory { return this.histories.get(jobId) ?? emptyHistory() }

  /** An active run, or (a meso extension) a finished one still in the history. */
  getRun(jobId: string, runId: string): JobRun {
    this.getSpec(jobId)
    const run = this.activeRunsOf(jobId).get(runId) ?? findFinishedRun(this.history(jobId), runId)
    if (!run) throw runNotFound(jobId, runId)
    return run
  }

  /** Starts a plain run (Metronome's POST /v1/jobs/{id}/runs for a job without dependencies). */
  startRun(jobId: string, opts: { startingDeadlineSeconds?: number; pipelineRunId?: string } = {}): JobRun {
    this.getSpec(jobId)
    const now = this.now()
    let id = newRunId(now, this.random)
    while (this.activeRunsOf(jobId).has(id)) id = newRunId(now, this.random)
    const run = newRun(jobId, id, now, opts)
    this.activeRunsOf(jobId).set(run.id, run)
    this.saveRun(run)
    log.info(`Job ${jobId}: run ${run.id} started${opts.pipelineRunId ? ` (pipeline run ${opts.pipelineRunId})` : ''}`)
    this.onWantsOffers()
    return run
  }

  stopRun(jobId: string, runId: string): JobRun {
    const spec = this.getSpec(jobId)
    const run = this.activeRunsOf(jobId).get(runId)
    if (!run) throw runNotFound(jobId, runId)
    const task = liveTask(run)
    if (task) this.killer.kill(task.id, this.taskAgents.get(task.id), spec.run.taskKillGracePeriodSeconds)
    // A pipeline step stopped this way fails once its task is gone, which skips what waits for it (pipeline-run.ts).
    const stopped = onStopRequested(run, this.now())
    this.updateRun(stopped)
    return stopped
  }

  /** Stores a changed run; a finished one moves to the history and drives its pipeline run. */
  private updateRun(run: JobRun) {
    const trimmed = run.tasks.length > MAX_TASKS_PER_RUN ? { ...run, tasks: run.tasks.slice(-MAX_TASKS_PER_RUN) } : run
    if (!isFinishedRun(trimmed)) {
      this.activeRunsOf(run.jobId).set(run.id, trimmed)
      this.saveRun(trimmed)
      return
    }
    this.activeRunsOf(run.jobId).delete(run.id)
    const before = this.history(run.jobId)
    const after = recordFinishedRun(before, trimmed, this.opts.historyLimit)
    this.store.put(`finished/${run.jobId}/${run.id}`, JSON.stringify(trimmed))
    const kept = new Set([...after.successfulRuns, ...after.failedRuns].map(r => r.id))
    for (const r of [...before.successfulRuns, ...before.failedRuns]) if (!kept.has(r.id)) this.store.remove(`finished/${run.jobId}/${r.id}`)
    this.histories.set(run.jobId, after)
    this.saveHistory(run.jobId, after)
    this.store.remove(`run/${run.jobId}/${run.id}`)
    for (const t of trimmed.tasks) this.taskAgents.delete(t.id)
    log.info(`Job ${run.jobId}: run ${run.id} ${run.status}${run.failureReason ? ` (${run.failureReason})` : ''}`)
    if (run.pipelineRunId) this.advancePipeline(run.jobId, run.pipelineRunId, run)
  }

  /** What the framework should launch now: runs without a live task, oldest first. */
  runsToLaunch(): { spec: JobSpec; run: JobRun }[] {
    const now = this.now()
    return this.allActiveRuns().filter(r => wantsLaunch(r, now)).flatMap(run => {
      const spec = this.specs.get(run.jobId)
      return spec ? [{ spec, run }] : []
    })
  }

  /** Runs fn with every write it makes in one registrar transaction (builtin-frameworks/store.ts), durable on return. */
  batch<T>(fn: () => T): T { return this.store.batch(fn) }

  /** The framework launched a task for `run` on `agentId`. */
  launched(jobId: string, runId: string, taskId: string, agentId: string) {
    const run = this.activeRunsOf(jobId).get(runId)
    if (!run) return
    this.taskAgents.set(taskId, agentId)
    this.updateRun(onTaskLaunched(run, taskId, this.now()))
  }

  /** A task status update for one of the jobs' tasks. */
  taskStatus(jobId: string, runId: string, taskId: string, state: string, exitCode?: number) {
    const run = this.activeRunsOf(jobId).get(runId)
    const spec = this.specs.get(jobId)
    if (!run || !spec) return
    const next = onTaskStatus(run, spec, taskId, state, this.now(), exitCode)
    if (next !== run) this.updateRun(next)
    if (!isFinishedRun(next) && next.launchAfter !== undefined) this.onWantsOffers()
  }

  /** Live tasks of runs being stopped (offer-driven-framework.ts sends their kills again until they end). */
  tasksToKill(): { taskId: string; agentId?: string; graceSeconds?: number }[] {
    return this.allActiveRuns().filter(r => r.stopping).flatMap(r => {
      const t = liveTask(r)
      const grace = this.specs.get(r.jobId)?.run.taskKillGracePeriodSeconds
      return t ? [{ taskId: t.id, agentId: this.taskAgents.get(t.id), ...(grace !== undefined ? { graceSeconds: grace } : {}) }] : []
    })
  }

  /** Every task of an active run (for reconciliation). */
  activeTasks(): { taskId: string; agentId?: string }[] {
    return this.allActiveRuns().flatMap(r => { const t = liveTask(r); return t ? [{ taskId: t.id, agentId: this.taskAgents.get(t.id) }] : [] })
  }

  // ------------------------------------------------------------------------------------------- pipelines

  pipelineRuns(jobId: string): PipelineRun[] {
    this.getSpec(jobId)
    return this.pipelines.get(jobId) ?? []
  }

  pipelineRun(jobId: string, id: string): PipelineRun {
    const p = this.pipelineRuns(jobId).find(x => x.id === id)
    if (!p) throw new JobsError(404, { jobId, id, message: 'Pipeline run not found' })
    return p
  }

  /** POST /v1/jobs/{id}/runs on a job with dependencies: a pipeline run (see pipeline-run.ts). */
  startPipeline(jobId: string, from?: string): PipelineRun {
    this.getSpec(jobId)
    const now = this.now()
    const previous = this.pipelines.get(jobId)?.[0]
    let p = newPipelineRun(newRunId(now, this.random), jobId, pipelineSteps(jobId, this.specs), now, from !== undefined ? { from, previous } : undefined)
    const list = [p, ...(this.pipelines.get(jobId) ?? [])]
    for (const old of list.splice(this.opts.historyLimit)) this.store.remove(`pipeline/${jobId}/${old.id}`)
    this.pipelines.set(jobId, list)
    p = this.startReadySteps(p)
    this.replacePipeline(p)
    log.info(`Job ${jobId}: pipeline run ${p.id} started${from ? ` from ${from}` : ''} (${p.steps.map(s => `${s.jobId}:${s.status}`).join(', ')})`)
    return p
  }

  private startReadySteps(p: PipelineRun): PipelineRun {
    for (const step of stepsToStart(p)) {
      if (!this.specs.has(step)) { p = abortPipelineRun(p, `${step} (deleted)`, this.now()); break }
      const run = this.startRun(step, { pipelineRunId: p.id })
      p = onStepStarted(p, step, run.id, this.now())
    }
    return p
  }

  private replacePipeline(p: PipelineRun) {
    const list = this.pipelines.get(p.jobId) ?? []
    const i = list.findIndex(x => x.id === p.id)
    if (i < 0) return
    list[i] = p
    this.savePipeline(p)
  }

  private findPipeline(pipelineRunId: string): PipelineRun | undefined {
    for (const list of this.pipelines.values()) {
      const p = list.find(x => x.id === pipelineRunId)
      if (p) return p
    }
    return undefined
  }

  private advancePipeline(stepJobId: string, pipelineRunId: string, run: JobRun) {
    let p = this.findPipeline(pipelineRunId)
    if (!p || p.status !== 'ACTIVE') return
    p = onStepFinished(p, stepJobId, run.status === 'SUCCESS', this.now())
    p = this.startReadySteps(p)
    this.replacePipeline(p)
    if (p.status !== 'ACTIVE') log.info(`Job ${p.jobId}: pipeline run ${p.id} ${p.status}`)
  }


  // ------------------------------------------------------------------------------------------- time

  /** Fires due schedules and applies run deadlines (called every second, and with a fake clock in tests). */
  tick() {
    const now = this.now()
    for (const spec of this.specs.values()) {
      for (const s of spec.schedules) {
        const key = `${spec.id}/${s.id}`
        const pending = this.pendingFire.get(key)
        if (pending !== undefined && now < pending && s.enabled) continue
        const d = decideSchedule(s, pending, now, this.activeRunsOf(spec.id).size)
        if (d.nextRunAt !== pending) {
          if (d.nextRunAt === undefined) { this.pendingFire.delete(key); this.store.remove(`schedule/${key}`) } else {
            this.pendingFire.set(key, d.nextRunAt)
            this.store.put(`schedule/${key}`, JSON.stringify({ pendingAt: d.nextRunAt }))
          }
        }
        if (d.fire) this.startRun(spec.id, { startingDeadlineSeconds: s.startingDeadlineSeconds })
        else if (d.skipped) log.info(`Job ${spec.id}: schedule ${s.id} did not start the run due at ${new Date(d.skipped.at).toISOString()}: ${d.skipped.why}`)
      }
    }
    for (const run of this.allActiveRuns()) {
      const spec = this.specs.get(run.jobId)
      if (!spec) continue
      const next = checkRunDeadlines(run, spec, now)
      if (next === run) continue
      const task = liveTask(run)
      if (task) this.killer.kill(task.id, this.taskAgents.get(task.id), spec.run.taskKillGracePeriodSeconds)
      this.updateRun(next)
    }
    if (this.runsToLaunch().length) this.onWantsOffers()
  }
}

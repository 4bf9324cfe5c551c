// A job run and its state machine, as Metronome's JobRun (jobs/src/main/scala/dcos/metronome/model/JobRun.scala):
// STARTING (persisted, waiting for an offer) → ACTIVE (a task reported staging, starting or running) → SUCCESS (a
// task finished) or FAILED (a task failed and the restart policy gives up, the starting deadline passed, or the run
// was stopped). Metronome's INITIAL ("not persisted yet") is never visible: meso persists a run before answering.
// ON_FAILURE relaunches a failed task after a backoff (Marathon's: 1 s growing by 1.15 per failure, capped at the
// run's maxLaunchDelay) until `activeDeadlineSeconds` after the run was created; NEVER fails at the first failure.
// Pure: the jobs service launches and kills the tasks.

import type { JobSpec } from './job-spec.ts'

export type RunStatus = 'INITIAL' | 'STARTING' | 'ACTIVE' | 'SUCCESS' | 'FAILED'

export interface RunTask {
  id: string
  startedAt: number
  completedAt?: number
  /** The Mesos task state (TASK_RUNNING…), as Metronome shows it. */
  status: string
  /** The shell-style exit code of a finished command, when the agent reported it. */
  exitCode?: number
}

export interface JobRun {
  id: string
  jobId: string
  status: RunStatus
  createdAt: number
  completedAt?: number
  tasks: RunTask[]
  /** A scheduled run that has not started within this many seconds fails (the schedule's startingDeadlineSeconds). */
  startingDeadlineSeconds?: number
  /** No task before this time (the ON_FAILURE backoff). */
  launchAfter?: number
  /** Task failures so far. */
  failures: number
  /** Why a FAILED run failed, in words. */
  failureReason?: string
  /** Stop requested (POST …/actions/stop): the run fails once its tasks are gone and is not relaunched. */
  stopping?: boolean
  /** The pipeline run this run is a step of. */
  pipelineRunId?: string
}

const TERMINAL_TASK_STATES = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNREACHABLE', 'TASK_UNKNOWN'])
export const isTerminalTaskState = (s: string) => TERMINAL_TASK_STATES.has(s)
export const isFinishedRun = (r: Pick<JobRun, 'status'>) => r.status === 'SUCCESS' || r.status === 'FAILED'

/** Run ids as Metronome makes them: the UTC time (yyyyMMddHHmmss) and 5 random alphanumerics. */
export function newRunId(now: number, random: () => number = Math.random): string {
  const d = new Date(now)
  const p = (n: number, w = 2) => String(n).padStart(w, '0')
  const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let suffix = ''
  for (let i = 0; i < 5; i++) suffix += alnum[Math.floor(random() * alnum.length)]
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${suffix}`
}

export function newRun(jobId: string, id: string, now: number, opts: { startingDeadlineSeconds?: number; pipelineRunId?: string } = {}): JobRun {
  return { id, jobId, status: 'STARTING', createdAt: now, tasks: [], failures: 0, ...opts }
}

/** The task of the run that is not terminal, if any. */
export function liveTask(run: JobRun): RunTask | undefined {
  return run.tasks.find(t => !isTerminalTaskState(t.status))
}

/** Whether the run needs a task launched now. */
export function wantsLaunch(run: JobRun, now: number): boolean {
  return !isFinishedRun(run) && !run.stopping && !liveTask(run) && (run.launchAfter ?? 0) <= now
}

export function onTaskLaunched(run: JobRun, taskId: string, now: number): JobRun {
  const { launchAfter: _, ...rest } = run
  return { ...rest, tasks: [...run.tasks, { id: taskId, startedAt: now, status: 'TASK_STAGING' }] }
}

/** The backoff before relaunching after `failures` failures, in ms (Marathon's defaults: 1 s × 1.15ⁿ, capped). */
export function launchBackoffMs(failures: number, maxLaunchDelaySeconds: number): number {
  return Math.min(maxLaunchDelaySeconds, 1.15 ** Math.max(0, failures - 1)) * 1000
}

/** A task status update for one of the run's tasks. */
export function onTaskStatus(run: JobRun, spec: Pick<JobSpec, 'run'>, taskId: string, state: string, now: number, exitCode?: number): JobRun {
  const task = run.tasks.find(t => t.id === taskId)
  if (!task || isFinishedRun(run)) return run
  const terminal = isTerminalTaskState(state)
  const updated: RunTask = { ...task, status: state }
  if (terminal && updated.completedAt === undefined) updated.completedAt = now
  if (exitCode !== undefined) updated.exitCode = exitCode
  const next: JobRun = { ...run, tasks: run.tasks.map(t => t.id === taskId ? updated : t) }
  if (!terminal) return next.status === 'STARTING' ? { ...next, status: 'ACTIVE' } : next
  if (state === 'TASK_FINISHED') return { ...next, status: 'SUCCESS', completedAt: now }
  const failures = run.failures + 1
  const deadline = spec.run.restart.activeDeadlineSeconds
  if (next.stopping) return { ...next, failures, status: 'FAILED', completedAt: now, failureReason: 'stopped' }
  if (spec.run.restart.policy === 'ON_FAILURE' && (deadline === undefined || now < run.createdAt + deadline * 1000)) {
    return { ...next, failures, status: run.status === 'STARTING' ? 'STARTING' : 'ACTIVE', launchAfter: now + launchBackoffMs(failures, spec.run.maxLaunchDelay) }
  }
  const why = spec.run.restart.policy === 'ON_FAILURE' ? `task ${taskId} ended ${state} after the restart deadline of ${deadline}s` : `task ${taskId} ended ${state}`
  return { ...next, failures, status: 'FAILED', completedAt: now, failureReason: why }
}

/**
 * Time-based decisions: a run still STARTING past its starting deadline fails (its launched task, if any, is to be
 * killed); an ON_FAILURE run waiting to relaunch past its active deadline fails.
 */
export function checkRunDeadlines(run: JobRun, spec: Pick<JobSpec, 'run'>, now: number): JobRun {
  if (isFinishedRun(run)) return run
  if (run.status === 'STARTING' && run.startingDeadlineSeconds !== undefined && now > run.createdAt + run.startingDeadlineSeconds * 1000) {
    return { ...run, status: 'FAILED', completedAt: now, failureReason: `not started within the starting deadline of ${run.startingDeadlineSeconds}s` }
  }
  const deadline = spec.run.restart.activeDeadlineSeconds
  if (run.launchAfter !== undefined && !liveTask(run) && deadline !== undefined && now >= run.createdAt + deadline * 1000) {
    return { ...run, status: 'FAILED', completedAt: now, failureReason: `still failing at the restart deadline of ${deadline}s` }
  }
  return run
}

/** A stop request (Metronome's kill of a job run). A run without a live task fails at once. */
export function onStopRequested(run: JobRun, now: number): JobRun {
  if (isFinishedRun(run)) return run
  if (!liveTask(run)) return { ...run, stopping: true, status: 'FAILED', completedAt: now, failureReason: 'stopped' }
  return { ...run, stopping: true }
}

/** The exit code of a finished run (its last task's), when known. */
export function runExitCode(run: JobRun): number | undefined {
  return run.tasks.at(-1)?.exitCode
}

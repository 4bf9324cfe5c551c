// A pipeline run (a meso extension to Metronome): one run of a job and all it depends on, each step starting once
// every step it depends on has succeeded in this pipeline run. A failed step stops its transitive dependents (they
// are SKIPPED, naming the failed step) and independent branches go on; `from` reruns a step and its dependents,
// reusing the previous pipeline run's successful steps elsewhere. Pure: the jobs service starts the runs.

export type StepStatus = 'WAITING' | 'ACTIVE' | 'SUCCESS' | 'FAILED' | 'SKIPPED' | 'REUSED'

export interface PipelineStep {
  jobId: string
  dependencies: string[]
  status: StepStatus
  runId?: string
  skippedBecause?: string
  startedAt?: number
  finishedAt?: number
}

export interface PipelineRun {
  id: string
  jobId: string
  status: 'ACTIVE' | 'SUCCESS' | 'FAILED'
  createdAt: number
  finishedAt?: number
  steps: PipelineStep[]
}

export class PipelineError extends Error {}

/** The steps downstream of `from` (itself included) among `steps`. */
function downstream(from: string, steps: readonly { jobId: string; dependencies: string[] }[]): Set<string> {
  const out = new Set([from])
  for (let grew = true; grew;) {
    grew = false
    for (const s of steps) {
      if (!out.has(s.jobId) && s.dependencies.some(d => out.has(d))) { out.add(s.jobId); grew = true }
    }
  }
  return out
}

/**
 * A new pipeline run over `steps` (pipeline-graph.ts pipelineSteps). With `from`, the steps of `previous` that
 * succeeded (or were reused) and are not downstream of `from` are REUSED with their runs.
 */
export function newPipelineRun(id: string, jobId: string, steps: { jobId: string; dependencies: string[] }[], now: number,
  rerun?: { from: string; previous: PipelineRun | undefined }): PipelineRun {
  let reuse = new Map<string, PipelineStep>()
  if (rerun) {
    if (!steps.some(s => s.jobId === rerun.from)) throw new PipelineError(`'${rerun.from}' is not a step of the pipeline of job '${jobId}' (steps: ${steps.map(s => s.jobId).join(', ')})`)
    if (!rerun.previous) throw new PipelineError(`job '${jobId}' has no previous pipeline run to rerun from '${rerun.from}'`)
    const rerunning = downstream(rerun.from, steps)
    reuse = new Map(rerun.previous.steps.filter(s => !rerunning.has(s.jobId) && (s.status === 'SUCCESS' || s.status === 'REUSED')).map(s => [s.jobId, s]))
  }
  return settle({
    id, jobId, status: 'ACTIVE', createdAt: now,
    steps: steps.map(s => {
      const old = reuse.get(s.jobId)
      if (!old) return { jobId: s.jobId, dependencies: s.dependencies, status: 'WAITING' as const }
      const step: PipelineStep = { jobId: s.jobId, dependencies: s.dependencies, status: 'REUSED' }
      if (old.runId) step.runId = old.runId
      if (old.startedAt !== undefined) step.startedAt = old.startedAt
      if (old.finishedAt !== undefined) step.finishedAt = old.finishedAt
      return step
    }),
  }, now)
}

const succeeded = (s: StepStatus) => s === 'SUCCESS' || s === 'REUSED'
const terminal = (s: StepStatus) => s !== 'WAITING' && s !== 'ACTIVE'

/** The steps that may start now: WAITING, with every dependency succeeded. */
export function stepsToStart(run: PipelineRun): string[] {
  if (run.status !== 'ACTIVE') return []
  const status = new Map(run.steps.map(s => [s.jobId, s.status]))
  return run.steps.filter(s => s.status === 'WAITING' && s.dependencies.every(d => succeeded(status.get(d) ?? 'SUCCESS'))).map(s => s.jobId)
}

export function onStepStarted(run: PipelineRun, jobId: string, runId: string, now: number): PipelineRun {
  return { ...run, steps: run.steps.map(s => s.jobId === jobId ? { ...s, status: 'ACTIVE', runId, startedAt: now } : s) }
}

/** A step's job run ended: SUCCESS, or FAILED with its transitive dependents SKIPPED. */
export function onStepFinished(run: PipelineRun, jobId: string, success: boolean, now: number): PipelineRun {
  let steps = run.steps.map(s => s.jobId === jobId && s.status === 'ACTIVE' ? { ...s, status: (success ? 'SUCCESS' : 'FAILED') as StepStatus, finishedAt: now } : s)
  if (!success) {
    const skip = downstream(jobId, steps)
    skip.delete(jobId)
    steps = steps.map(s => skip.has(s.jobId) && s.status === 'WAITING' ? { ...s, status: 'SKIPPED', skippedBecause: jobId, finishedAt: now } : s)
  }
  return settle({ ...run, steps }, now)
}

/** The pipeline run ends once every step has: SUCCESS when all succeeded (or were reused), else FAILED. */
function settle(run: PipelineRun, now: number): PipelineRun {
  if (run.status !== 'ACTIVE' || !run.steps.every(s => terminal(s.status))) return run
  return { ...run, status: run.steps.every(s => succeeded(s.status)) ? 'SUCCESS' : 'FAILED', finishedAt: now }
}

/** Stops a pipeline run (its target's run was stopped, or a step's job was deleted): waiting steps are skipped. */
export function abortPipelineRun(run: PipelineRun, because: string, now: number): PipelineRun {
  return settle({ ...run, steps: run.steps.map(s => s.status === 'WAITING' ? { ...s, status: 'SKIPPED', skippedBecause: because, finishedAt: now } : s) }, now)
}

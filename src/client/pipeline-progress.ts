// What `meso job run --wait` says about a pipeline run as it goes, and the exit code it ends with (pure; the polling
// is in job-run-wait.ts). Progress lines go to stderr: one when a step changes state.

import { epochSeconds, type JobRun, type PipelineRun, type PipelineStep } from './jobs.ts'
import { EXIT } from './exit-codes.ts'

/** One line per step whose state changed since `before` (undefined: the first look, WAITING steps stay quiet). */
export function stepChanges(before: PipelineRun | undefined, now: PipelineRun): string[] {
  const was = new Map((before?.steps ?? []).map(s => [s.jobId, s.status]))
  const lines: string[] = []
  for (const s of now.steps) {
    const prev = was.get(s.jobId)
    if (prev === s.status || (prev === undefined && s.status === 'WAITING')) continue
    lines.push(stepLine(s, now.steps))
  }
  return lines
}

/** `steps`: the run's, to tell a step named in `skippedBecause` (`(build failed)`) from another reason. */
export function stepLine(s: PipelineStep, steps: readonly PipelineStep[] = []): string {
  switch (s.status) {
    case 'ACTIVE': return `step ${s.jobId}: ACTIVE${s.runId ? ` (run ${s.runId})` : ''}`
    case 'SKIPPED': {
      const why = s.skippedBecause
      if (!why) return `step ${s.jobId}: SKIPPED`
      return `step ${s.jobId}: SKIPPED (${steps.some(x => x.jobId === why) ? `${why} failed` : why})`
    }
    case 'REUSED': return `step ${s.jobId}: REUSED (succeeded in an earlier run${s.runId ? `, run ${s.runId}` : ''})`
    default: return `step ${s.jobId}: ${s.status}`
  }
}

/** `3 succeeded, 1 failed, 1 skipped` (states in a fixed order, only those present). */
export function stepSummary(steps: readonly PipelineStep[]): string {
  const words: [string, string][] = [['SUCCESS', 'succeeded'], ['REUSED', 'reused'], ['FAILED', 'failed'], ['SKIPPED', 'skipped'], ['ACTIVE', 'active'], ['WAITING', 'waiting']]
  const counts = new Map<string, number>()
  for (const s of steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1)
  const parts = words.filter(([k]) => counts.get(k)).map(([k, w]) => `${counts.get(k)} ${w}`)
  const other = [...counts].filter(([k]) => !words.some(([w]) => w === k)).map(([k, n]) => `${n} ${k}`)
  return [...parts, ...other].join(', ') || 'no steps'
}

/**
 * A finished plain run's exit code: the task's own (from its terminal status, as `task run` reads it), else the
 * run's `exitCode`, else 0 for SUCCESS and 1 for FAILED.
 */
export function runExitCode(run: Pick<JobRun, 'status' | 'exitCode'>, taskCode: number | undefined): number {
  if (taskCode !== undefined) return taskCode
  if (typeof run.exitCode === 'number') return run.exitCode
  return run.status === 'SUCCESS' ? EXIT.OK : EXIT.FAILED
}

/**
 * A finished pipeline run's exit code: 0 when it succeeded; otherwise the exit code of the first step that failed
 * (by finishing time) when it is not 0, else 1 — never 0 for a pipeline with a failed or skipped step.
 */
export function pipelineExitCode(run: PipelineRun, stepCodes: ReadonlyMap<string, number>): number {
  const troubled = run.steps.some(s => s.status === 'FAILED' || s.status === 'SKIPPED')
  if (run.status === 'SUCCESS' && !troubled) return EXIT.OK
  const failed = run.steps
    .map((s, i) => ({ s, i, at: epochSeconds(s.finishedAt) ?? Infinity }))
    .filter(x => x.s.status === 'FAILED')
    .sort((a, b) => (a.at - b.at) || (a.i - b.i))
  const code = failed.length ? stepCodes.get(failed[0]!.s.jobId) : undefined
  return code !== undefined && code !== 0 ? code : EXIT.FAILED
}

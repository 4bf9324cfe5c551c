// How the job commands show jobs, runs and pipelines to people: state colours, a job's last run, schedules in one
// cell, the steps of a pipeline as the DAG renderer takes them (../dag-render.ts).

import type { ChalkInstance } from 'chalk'
import { epochSeconds, type JobInfo, type PipelineRun, type ScheduleSpec } from '../../client/jobs.ts'
import { table } from '../../client/output.ts'
import type { DagStep } from '../dag-render.ts'

/** Colours a state's text: green done, red failed, yellow skipped, cyan running, dim waiting. */
export function statePainter(c: ChalkInstance): (status: string | undefined, text: string) => string {
  return (status, text) => {
    switch (status) {
      case 'SUCCESS': case 'REUSED': return c.green(text)
      case 'FAILED': return c.red(text)
      case 'SKIPPED': return c.yellow(text)
      case 'ACTIVE': case 'STARTING': case 'INITIAL': return c.cyan(text)
      case 'WAITING': return c.dim(text)
      default: return text
    }
  }
}

/** ACTIVE while a run is active, else SUCCESS or FAILED after the latest finished run, `-` before any. */
export function lastRunStatus(job: JobInfo): string {
  if (job.activeRuns?.length) return 'ACTIVE'
  const ok = epochSeconds(job.historySummary?.lastSuccessAt ?? job.history?.lastSuccessAt)
  const failed = epochSeconds(job.historySummary?.lastFailureAt ?? job.history?.lastFailureAt)
  if (ok === undefined && failed === undefined) return '-'
  return (failed ?? -Infinity) > (ok ?? -Infinity) ? 'FAILED' : 'SUCCESS'
}

/** `0 3 * * *, 30 1 * * * Europe/Paris (disabled)`; `-` for none. */
export function schedulesCell(list: readonly ScheduleSpec[] | undefined): string {
  if (!list?.length) return '-'
  return list.map(s => `${s.cron}${s.timezone && s.timezone !== 'UTC' ? ` ${s.timezone}` : ''}${s.enabled === false ? ' (disabled)' : ''}`).join(', ')
}

/** The steps of a pipeline run, as drawn. */
export function runSteps(run: PipelineRun): DagStep[] {
  return run.steps.map(s => ({ id: s.jobId, dependencies: s.dependencies ?? [], status: s.status, ...(s.skippedBecause ? { skippedBecause: s.skippedBecause } : {}) }))
}

/**
 * The steps of job `id`'s pipeline from the specs alone (before its first run): the job and everything it depends
 * on, transitively; a dependency missing from `jobs` is still drawn, without dependencies of its own.
 */
export function specSteps(id: string, jobs: ReadonlyMap<string, JobInfo>): DagStep[] {
  const out: DagStep[] = []
  const seen = new Set<string>()
  const visit = (jobId: string) => {
    if (seen.has(jobId)) return
    seen.add(jobId)
    const deps = (jobs.get(jobId)?.dependencies ?? []).map(d => d.id)
    for (const d of deps) visit(d)
    out.push({ id: jobId, dependencies: deps })
  }
  visit(id)
  return out
}

/** The command a job runs, as one line: `cmd`, or `args` joined, or the image's own. */
export function commandOf(job: JobInfo): string {
  if (job.run.cmd) return job.run.cmd.replace(/\s*\n\s*/g, ' ')
  if (job.run.args?.length) return job.run.args.map(a => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')
  return "(the image's entrypoint)"
}

/** `12s`, `3m4s`, `2h5m`: how long between two Metronome timestamps; `-` when either is missing. */
export function duration(from: string | null | undefined, to: string | null | undefined): string {
  const a = epochSeconds(from)
  const b = epochSeconds(to)
  if (a === undefined || b === undefined) return '-'
  const s = Math.max(0, Math.round(b - a))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ''}`
}

/** The schedules as a table: id, cron, time zone, concurrency policy, starting deadline, enabled, next run. */
export function scheduleTable(list: readonly ScheduleSpec[]): string {
  return table(['ID', 'CRON', 'TIMEZONE', 'POLICY', 'DEADLINE', 'ENABLED', 'NEXT RUN'], list.map(s => [
    s.id, s.cron, s.timezone ?? 'UTC', s.concurrencyPolicy ?? 'ALLOW',
    s.startingDeadlineSeconds !== undefined ? `${s.startingDeadlineSeconds}s` : '-',
    s.enabled === false ? 'no' : 'yes', s.nextRunAt ?? '-',
  ]))
}

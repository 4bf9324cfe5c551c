// The JSON Metronome answers with (api/v1/models/package.scala: JobSpecFormat, JobInfoWrites, JobRunWrites,
// JobHistoryWrites, ScheduleSpecFormat with nextRunAt), plus meso's pipeline runs and a finished run's exitCode.
// Times are Metronome's "yyyy-MM-dd'T'HH:mm:ss.SSSZ", in UTC.

import type { JobHistory } from './job-history.ts'
import { isFinishedRun, runExitCode, type JobRun } from './job-run.ts'
import type { JobSpec, ScheduleSpec } from './job-spec.ts'
import type { PipelineRun } from './pipeline-run.ts'

export function metronomeTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000')
}

const time = (ms: number | undefined) => (ms === undefined ? null : metronomeTime(ms))

export function scheduleJson(s: ScheduleSpec, nextRunAt: number | undefined) {
  return { ...s, ...(nextRunAt !== undefined ? { nextRunAt: metronomeTime(nextRunAt) } : {}) }
}

export function specJson(spec: JobSpec, nextRunAt: (scheduleId: string) => number | undefined) {
  return { ...spec, schedules: spec.schedules.map(s => scheduleJson(s, nextRunAt(s.id))) }
}

export function runJson(run: JobRun) {
  const exitCode = isFinishedRun(run) ? runExitCode(run) : undefined
  return {
    id: run.id,
    jobId: run.jobId,
    status: run.status,
    createdAt: metronomeTime(run.createdAt),
    completedAt: time(run.completedAt),
    tasks: run.tasks.map(t => ({ id: t.id, startedAt: metronomeTime(t.startedAt), completedAt: time(t.completedAt), status: t.status })),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(run.failureReason ? { failureReason: run.failureReason } : {}),
    ...(run.pipelineRunId ? { pipelineRunId: run.pipelineRunId } : {}),
  }
}

const runInfo = (r: JobRun) => ({ id: r.id, createdAt: metronomeTime(r.createdAt), finishedAt: metronomeTime(r.completedAt ?? r.createdAt), tasks: r.tasks.map(t => t.id) })

export function historySummaryJson(h: JobHistory) {
  return { successCount: h.successCount, failureCount: h.failureCount, lastSuccessAt: time(h.lastSuccessAt), lastFailureAt: time(h.lastFailureAt) }
}

export function historyJson(h: JobHistory) {
  return { ...historySummaryJson(h), successfulFinishedRuns: h.successfulRuns.map(runInfo), failedFinishedRuns: h.failedRuns.map(runInfo) }
}

export type Embed = 'activeRuns' | 'schedules' | 'history' | 'historySummary'
export const EMBEDS: readonly Embed[] = ['activeRuns', 'schedules', 'history', 'historySummary']

/** A job as GET /v1/jobs(/{id}) shows it: the spec without schedules, plus what `embed` asks for. */
export function jobInfoJson(spec: JobSpec, embed: ReadonlySet<Embed>, parts: { activeRuns: JobRun[]; history: JobHistory; nextRunAt: (id: string) => number | undefined }) {
  const { schedules, ...rest } = spec
  return {
    ...rest,
    ...(embed.has('schedules') ? { schedules: schedules.map(s => scheduleJson(s, parts.nextRunAt(s.id))) } : {}),
    ...(embed.has('activeRuns') ? { activeRuns: parts.activeRuns.map(runJson) } : {}),
    ...(embed.has('history') ? { history: historyJson(parts.history) } : {}),
    ...(embed.has('historySummary') ? { historySummary: historySummaryJson(parts.history) } : {}),
  }
}

export function pipelineRunJson(p: PipelineRun) {
  return {
    id: p.id,
    jobId: p.jobId,
    status: p.status,
    createdAt: metronomeTime(p.createdAt),
    ...(p.finishedAt !== undefined ? { finishedAt: metronomeTime(p.finishedAt) } : {}),
    steps: p.steps.map(s => ({
      jobId: s.jobId,
      dependencies: s.dependencies,
      status: s.status,
      ...(s.runId ? { runId: s.runId } : {}),
      ...(s.skippedBecause ? { skippedBecause: s.skippedBecause } : {}),
      ...(s.startedAt !== undefined ? { startedAt: metronomeTime(s.startedAt) } : {}),
      ...(s.finishedAt !== undefined ? { finishedAt: metronomeTime(s.finishedAt) } : {}),
    })),
  }
}

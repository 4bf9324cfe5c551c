// Jobs and pipelines as Metronome's /v1 API shows them (the master's jobs scheduler, src/master/jobs/): the shapes
// the jobs pages read, and the layout of a pipeline run's DAG. Pure.

export interface JobRunTask { id: string; startedAt: string; completedAt: string | null; status: string }
export interface JobRunJson { id: string; jobId: string; status: string; createdAt: string; completedAt: string | null; tasks: JobRunTask[]; exitCode?: number; failureReason?: string; pipelineRunId?: string }
export interface FinishedRun { id: string; createdAt: string; finishedAt: string; tasks: string[] }
export interface HistorySummary { successCount: number; failureCount: number; lastSuccessAt: string | null; lastFailureAt: string | null }
export interface ScheduleJson { id: string; cron: string; timezone?: string; enabled?: boolean; concurrencyPolicy?: string; nextRunAt?: string }

export interface JobJson {
  id: string
  description?: string
  dependencies?: { id: string }[]
  labels?: Record<string, string>
  run: { cmd?: string; args?: string[]; cpus?: number; mem?: number; disk?: number; gpus?: number; user?: string; docker?: { image?: string }; maxLaunchDelay?: number; restart?: { policy?: string } }
  schedules?: ScheduleJson[]
  activeRuns?: JobRunJson[]
  history?: HistorySummary & { successfulFinishedRuns: FinishedRun[]; failedFinishedRuns: FinishedRun[] }
  historySummary?: HistorySummary
}

export interface PipelineStepJson { jobId: string; dependencies: string[]; status: string; runId?: string; skippedBecause?: string; startedAt?: string; finishedAt?: string }
export interface PipelineRunJson { id: string; jobId: string; status: string; createdAt: string; finishedAt?: string; steps: PipelineStepJson[] }

/** Metronome's time (`2026-12-06T23:51:02.123+0000`) as seconds since the epoch; undefined for null or garbage. */
export function metronomeSeconds(t: string | null | undefined): number | undefined {
  if (!t) return undefined
  const ms = Date.parse(t.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))
  return Number.isFinite(ms) ? ms / 1000 : undefined
}

/**
 * The steps of a pipeline run in columns: a step's column is the length of the longest dependency chain before it,
 * so every arrow points right. Dependencies outside the run (or a cycle, which the scheduler refuses anyway) do
 * not move a step.
 */
export function pipelineColumns(steps: readonly PipelineStepJson[]): PipelineStepJson[][] {
  const byId = new Map(steps.map(s => [s.jobId, s]))
  const depth = new Map<string, number>()
  const visiting = new Set<string>()
  const depthOf = (id: string): number => {
    const known = depth.get(id)
    if (known !== undefined) return known
    const s = byId.get(id)
    if (!s || visiting.has(id)) return -1
    visiting.add(id)
    const d = 1 + Math.max(-1, ...s.dependencies.map(depthOf))
    visiting.delete(id)
    depth.set(id, d)
    return d
  }
  const columns: PipelineStepJson[][] = []
  for (const s of steps) (columns[depthOf(s.jobId)] ??= []).push(s)
  return columns.filter(Boolean).map(c => c.sort((a, b) => a.jobId.localeCompare(b.jobId)))
}

/** A badge tone for a run's, a step's or a task's status. */
export function runTone(status: string): 'ok' | 'busy' | 'bad' | 'done' {
  if (['SUCCESS', 'REUSED', 'TASK_FINISHED'].includes(status)) return 'done'
  if (['ACTIVE', 'RUNNING', 'TASK_RUNNING'].includes(status)) return 'ok'
  if (['FAILED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST'].includes(status)) return 'bad'
  return 'busy' // INITIAL, STARTING, WAITING, SKIPPED, TASK_STAGING…
}

// A job's history as Metronome keeps it (JobHistory): counts, last success and failure, and the finished runs,
// successful and failed apart, newest first, at most `limit` of each (--job_history_limit; the oldest dropped
// first). Pure.

import type { JobRun } from './job-run.ts'

export interface JobHistory {
  successCount: number
  failureCount: number
  lastSuccessAt?: number
  lastFailureAt?: number
  successfulRuns: JobRun[]
  failedRuns: JobRun[]
}

export const emptyHistory = (): JobHistory => ({ successCount: 0, failureCount: 0, successfulRuns: [], failedRuns: [] })

export function recordFinishedRun(h: JobHistory, run: JobRun, limit: number): JobHistory {
  const at = run.completedAt ?? run.createdAt
  if (run.status === 'SUCCESS') {
    return { ...h, successCount: h.successCount + 1, lastSuccessAt: at, successfulRuns: [run, ...h.successfulRuns].slice(0, limit) }
  }
  return { ...h, failureCount: h.failureCount + 1, lastFailureAt: at, failedRuns: [run, ...h.failedRuns].slice(0, limit) }
}

/** A finished run kept in the history, by id. */
export function findFinishedRun(h: JobHistory, runId: string): JobRun | undefined {
  return h.successfulRuns.find(r => r.id === runId) ?? h.failedRuns.find(r => r.id === runId)
}

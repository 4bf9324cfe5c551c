// The run state machine (STARTING → ACTIVE → SUCCESS/FAILED, ON_FAILURE restarts until activeDeadlineSeconds),
// history retention, and when a schedule fires (fake clock).

import { describe, expect, test } from 'bun:test'
import { emptyHistory, recordFinishedRun } from '../../../src/master/jobs/job-history.ts'
import { checkRunDeadlines, launchBackoffMs, newRun, newRunId, onStopRequested, onTaskLaunched, onTaskStatus, wantsLaunch, type JobRun } from '../../../src/master/jobs/job-run.ts'
import { parseJobSpec } from '../../../src/master/jobs/job-spec.ts'
import { decideSchedule } from '../../../src/master/jobs/schedule-decision.ts'
import { parseSchedule } from '../../../src/master/jobs/job-spec.ts'

const never = parseJobSpec({ id: 'a', run: { cmd: 'x' } })
const onFailure = parseJobSpec({ id: 'a', run: { cmd: 'x', maxLaunchDelay: 10, restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 60 } } })

describe('job runs', () => {
  test("run ids are Metronome's: UTC time and 5 random characters", () => {
    expect(newRunId(Date.UTC(2016, 6, 15, 13, 2, 59), () => 0)).toBe('20160715130259aaaaa')
  })

  test('STARTING → ACTIVE → SUCCESS', () => {
    let r = newRun('a', 'r1', 0)
    expect(r.status).toBe('STARTING')
    expect(wantsLaunch(r, 0)).toBe(true)
    r = onTaskLaunched(r, 'a_r1.1', 1)
    expect(wantsLaunch(r, 1)).toBe(false)
    r = onTaskStatus(r, never, 'a_r1.1', 'TASK_RUNNING', 2)
    expect(r.status).toBe('ACTIVE')
    r = onTaskStatus(r, never, 'a_r1.1', 'TASK_FINISHED', 3, 0)
    expect(r).toMatchObject({ status: 'SUCCESS', completedAt: 3, tasks: [{ id: 'a_r1.1', status: 'TASK_FINISHED', startedAt: 1, completedAt: 3, exitCode: 0 }] })
  })

  test('NEVER fails at the first failure', () => {
    let r = onTaskLaunched(newRun('a', 'r1', 0), 't1', 1)
    r = onTaskStatus(r, never, 't1', 'TASK_FAILED', 2, 3)
    expect(r.status).toBe('FAILED')
    expect(r.failureReason).toBe('task t1 ended TASK_FAILED')
  })

  test('ON_FAILURE relaunches with backoff until activeDeadlineSeconds', () => {
    let r: JobRun = newRun('a', 'r1', 0)
    let t = 0
    for (let i = 1; i <= 3; i++) {
      r = onTaskLaunched(r, `t${i}`, t)
      r = onTaskStatus(r, onFailure, `t${i}`, 'TASK_FAILED', t += 1000)
      expect(r.status).not.toBe('FAILED')
      expect(r.launchAfter).toBe(t + launchBackoffMs(i, 10))
      expect(wantsLaunch(r, t)).toBe(false)
      t = r.launchAfter!
      expect(wantsLaunch(r, t)).toBe(true)
    }
    expect(launchBackoffMs(1, 10)).toBe(1000)
    expect(launchBackoffMs(100, 10)).toBe(10_000)
    // Past the deadline, a failure ends the run.
    r = onTaskLaunched(r, 't4', 59_000)
    r = onTaskStatus(r, onFailure, 't4', 'TASK_FAILED', 61_000)
    expect(r.status).toBe('FAILED')
    expect(r.failures).toBe(4)
    expect(r.failureReason).toContain('restart deadline of 60s')
  })

  test('a run waiting to relaunch fails at the active deadline; a STARTING run at its starting deadline', () => {
    let r = onTaskStatus(onTaskLaunched(newRun('a', 'r1', 0), 't1', 0), onFailure, 't1', 'TASK_FAILED', 59_500)
    expect(checkRunDeadlines(r, onFailure, 59_900).status).not.toBe('FAILED')
    expect(checkRunDeadlines(r, onFailure, 60_000).status).toBe('FAILED')
    r = newRun('a', 'r2', 0, { startingDeadlineSeconds: 30 })
    expect(checkRunDeadlines(r, never, 30_000).status).toBe('STARTING')
    expect(checkRunDeadlines(r, never, 30_001)).toMatchObject({ status: 'FAILED', failureReason: 'not started within the starting deadline of 30s' })
  })

  test('stop: no relaunch, FAILED once the task is gone', () => {
    let r = onTaskStatus(onTaskLaunched(newRun('a', 'r1', 0), 't1', 0), onFailure, 't1', 'TASK_RUNNING', 1)
    r = onStopRequested(r, 2)
    expect(r.status).toBe('ACTIVE')
    r = onTaskStatus(r, onFailure, 't1', 'TASK_KILLED', 3)
    expect(r).toMatchObject({ status: 'FAILED', failureReason: 'stopped' })
    expect(onStopRequested(newRun('a', 'r3', 0), 5)).toMatchObject({ status: 'FAILED', completedAt: 5 })
  })
})

describe('history', () => {
  test('successes and failures apart, newest first, the oldest dropped past the limit', () => {
    let h = emptyHistory()
    for (let i = 1; i <= 5; i++) h = recordFinishedRun(h, { ...newRun('a', `s${i}`, i), status: 'SUCCESS', completedAt: i * 10 }, 3)
    h = recordFinishedRun(h, { ...newRun('a', 'f1', 7), status: 'FAILED', completedAt: 70 }, 3)
    expect(h.successCount).toBe(5)
    expect(h.failureCount).toBe(1)
    expect(h.lastSuccessAt).toBe(50)
    expect(h.lastFailureAt).toBe(70)
    expect(h.successfulRuns.map(r => r.id)).toEqual(['s5', 's4', 's3'])
    expect(h.failedRuns.map(r => r.id)).toEqual(['f1'])
  })
})

describe('schedule decisions', () => {
  const t = (iso: string) => Date.parse(iso)
  const every = (extra: Record<string, unknown> = {}) => parseSchedule({ id: 's', cron: '* * * * *', startingDeadlineSeconds: 30, ...extra })

  test('a new schedule arms for the next firing; it fires when due, and moves on', () => {
    expect(decideSchedule(every(), undefined, t('2026-01-01T10:00:20Z'), 0)).toEqual({ fire: false, nextRunAt: t('2026-01-01T10:01:00Z') })
    expect(decideSchedule(every(), t('2026-01-01T10:01:00Z'), t('2026-01-01T10:00:59.999Z'), 0)).toEqual({ fire: false, nextRunAt: t('2026-01-01T10:01:00Z') })
    expect(decideSchedule(every(), t('2026-01-01T10:01:00Z'), t('2026-01-01T10:01:00.400Z'), 0))
      .toEqual({ fire: true, scheduledAt: t('2026-01-01T10:01:00Z'), nextRunAt: t('2026-01-01T10:02:00Z') })
  })

  test('FORBID skips a run while one is active; ALLOW starts another', () => {
    const due = t('2026-01-01T10:01:00Z')
    expect(decideSchedule(every({ concurrencyPolicy: 'FORBID' }), due, due + 500, 1)).toMatchObject({ fire: false, nextRunAt: t('2026-01-01T10:02:00Z'), skipped: { at: due } })
    expect(decideSchedule(every({ concurrencyPolicy: 'ALLOW' }), due, due + 500, 1)).toMatchObject({ fire: true })
  })

  test('after an outage: the latest missed firing starts once if within startingDeadlineSeconds, else is missed', () => {
    const pending = t('2026-01-01T10:01:00Z')
    // Down from 10:00:30 to 10:30:10: 29 firings missed, the latest (10:30) is 10 s old.
    expect(decideSchedule(every(), pending, t('2026-01-01T10:30:10Z'), 0)).toEqual({ fire: true, scheduledAt: t('2026-01-01T10:30:00Z'), nextRunAt: t('2026-01-01T10:31:00Z') })
    // Back at 10:30:45: the latest is 45 s old, past the 30 s deadline.
    expect(decideSchedule(every(), pending, t('2026-01-01T10:30:45Z'), 0)).toMatchObject({ fire: false, nextRunAt: t('2026-01-01T10:31:00Z'), skipped: { at: t('2026-01-01T10:30:00Z') } })
  })

  test('a disabled schedule never fires and builds no backlog', () => {
    const d = decideSchedule(every({ enabled: false }), t('2026-01-01T10:01:00Z'), t('2026-01-01T10:05:00Z'), 0)
    expect(d).toEqual({ fire: false, nextRunAt: t('2026-01-01T10:06:00Z') })
  })
})

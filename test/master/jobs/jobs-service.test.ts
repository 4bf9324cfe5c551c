// The jobs service over a real registrar (SQLite in a temp dir) with a controllable clock: schedules fire on time,
// FORBID skips, pipelines progress through task updates, and everything survives a restart (a new registrar and
// service on the same file).

import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { KvArea } from '../../../src/master/builtin-frameworks/store.ts'
import { parseJobSpec, parseSchedule } from '../../../src/master/jobs/job-spec.ts'
import { JobsError, JobsService } from '../../../src/master/jobs/jobs-service.ts'
import { Registrar } from '../../../src/master/registrar.ts'
import { tempDir } from '../../helpers/processes.ts'

let open: Registrar[] = []
afterEach(() => { for (const r of open) r.close(); open = [] })

function boot(path: string, clock: { now: number }, historyLimit = 10) {
  const registrar = Registrar.open(path)
  open.push(registrar)
  const kv = new KvArea(registrar.snapshot().kv ?? [], ops => registrar.write(ops))
  const service = new JobsService(kv.namespace('jobs'), { historyLimit, now: () => clock.now })
  const kills: string[] = []
  service.killer = { kill: id => kills.push(id) }
  return { registrar, service, kills }
}

/** Plays the framework: launches every run that wants a task, then reports `state` for it. */
function runTasks(service: JobsService, state: (jobId: string) => string) {
  for (const { spec, run } of service.runsToLaunch()) {
    const taskId = `${spec.id}_${run.id}.${run.tasks.length + 1}`
    service.launched(spec.id, run.id, taskId, 'S1')
    service.taskStatus(spec.id, run.id, taskId, 'TASK_RUNNING')
    const s = state(spec.id)
    if (s !== 'TASK_RUNNING') service.taskStatus(spec.id, run.id, taskId, s, s === 'TASK_FINISHED' ? 0 : 1)
  }
}

describe('jobs service', () => {
  test('a schedule every minute fires on the minute, once', () => {
    const clock = { now: Date.parse('2026-01-01T10:00:20Z') }
    const { service } = boot(join(tempDir(), 'r.db'), clock)
    service.createJob(parseJobSpec({ id: 'tick', run: { cmd: 'true' }, schedules: [{ id: 'every', cron: '* * * * *' }] }))
    expect(service.nextRunAt('tick', 'every')).toBe(Date.parse('2026-01-01T10:01:00Z'))
    clock.now = Date.parse('2026-01-01T10:00:59.900Z')
    service.tick()
    expect(service.activeRuns('tick')).toHaveLength(0)
    clock.now = Date.parse('2026-01-01T10:01:00.300Z')
    service.tick()
    service.tick()
    expect(service.activeRuns('tick')).toHaveLength(1)
    expect(service.activeRuns('tick')[0]!.startingDeadlineSeconds).toBe(900)
    expect(service.nextRunAt('tick', 'every')).toBe(Date.parse('2026-01-01T10:02:00Z'))
  })

  test('FORBID skips the firing while a run is active', () => {
    const clock = { now: Date.parse('2026-01-01T10:00:20Z') }
    const { service } = boot(join(tempDir(), 'r.db'), clock)
    service.createJob(parseJobSpec({ id: 'slow', run: { cmd: 'sleep 100' }, schedules: [{ id: 'every', cron: '* * * * *', concurrencyPolicy: 'FORBID' }] }))
    clock.now = Date.parse('2026-01-01T10:01:00.100Z')
    service.tick()
    runTasks(service, () => 'TASK_RUNNING')
    clock.now = Date.parse('2026-01-01T10:02:00.100Z')
    service.tick()
    expect(service.activeRuns('slow')).toHaveLength(1)
    expect(service.nextRunAt('slow', 'every')).toBe(Date.parse('2026-01-01T10:03:00Z'))
  })

  test('specs, active runs, history and schedules survive a restart', () => {
    const path = join(tempDir(), 'r.db')
    const clock = { now: Date.parse('2026-01-01T10:00:00Z') }
    const first = boot(path, clock, 2)
    first.service.createJob(parseJobSpec({ id: 'a', labels: { team: 'x' }, run: { cmd: 'true' } }))
    first.service.addSchedule('a', parseSchedule({ id: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Berlin' }))
    for (let i = 0; i < 3; i++) {
      clock.now += 1000
      first.service.startRun('a')
      runTasks(first.service, () => 'TASK_FINISHED')
    }
    first.service.startRun('a')
    runTasks(first.service, () => 'TASK_RUNNING')
    const active = first.service.activeRuns('a')[0]!
    first.registrar.close()
    open = open.filter(r => r !== first.registrar)

    const second = boot(path, clock, 2)
    expect(second.service.getSpec('a').labels).toEqual({ team: 'x' })
    expect(second.service.getSpec('a').schedules.map(s => s.id)).toEqual(['nightly'])
    expect(second.service.nextRunAt('a', 'nightly')).toBe(Date.parse('2026-01-02T02:00:00Z'))
    const h = second.service.history('a')
    expect(h.successCount).toBe(3)
    expect(h.successfulRuns).toHaveLength(2) // the limit
    expect(h.successfulRuns[0]!.tasks[0]!.exitCode).toBe(0)
    expect(second.service.activeRuns('a').map(r => r.id)).toEqual([active.id])
    expect(second.service.activeTasks()).toEqual([{ taskId: active.tasks[0]!.id, agentId: 'S1' }])
    // The dropped run's own entry is gone from the store too.
    const kv = second.registrar.snapshot().kv!.filter(e => e.key.startsWith('finished/a/'))
    expect(kv).toHaveLength(2)
  })

  test('the diamond pipeline: a failed branch stops its dependents, the other branch finishes; rerun from the failed step', () => {
    const clock = { now: 1_000_000 }
    const { service } = boot(join(tempDir(), 'r.db'), clock)
    service.createJob(parseJobSpec({ id: 'a', run: { cmd: 'true' } }))
    service.createJob(parseJobSpec({ id: 'b', dependencies: [{ id: 'a' }], run: { cmd: 'false' } }))
    service.createJob(parseJobSpec({ id: 'c', dependencies: [{ id: 'a' }], run: { cmd: 'true' } }))
    service.createJob(parseJobSpec({ id: 'd', dependencies: [{ id: 'b' }, { id: 'c' }], run: { cmd: 'true' } }))
    const p = service.startPipeline('d')
    expect(p.steps.map(s => s.status)).toEqual(['ACTIVE', 'WAITING', 'WAITING', 'WAITING'])
    let fail = true
    for (let i = 0; i < 4; i++) runTasks(service, job => (job === 'b' && fail ? 'TASK_FAILED' : 'TASK_FINISHED'))
    const done = service.pipelineRun('d', p.id)
    expect(done.status).toBe('FAILED')
    expect(done.steps.map(s => [s.jobId, s.status, s.skippedBecause])).toEqual([['a', 'SUCCESS', undefined], ['b', 'FAILED', undefined], ['c', 'SUCCESS', undefined], ['d', 'SKIPPED', 'b']])
    fail = false
    const again = service.startPipeline('d', 'b')
    expect(again.steps.map(s => s.status)).toEqual(['REUSED', 'ACTIVE', 'REUSED', 'WAITING'])
    for (let i = 0; i < 3; i++) runTasks(service, () => 'TASK_FINISHED')
    expect(service.pipelineRun('d', again.id).status).toBe('SUCCESS')
    expect(service.pipelineRuns('d').map(x => x.id)).toEqual([again.id, p.id])
    expect(service.history('a').successCount).toBe(1)
  })

  test('stopping a step of a pipeline run kills its task and skips what waits for it', () => {
    const { service, kills } = boot(join(tempDir(), 'r.db'), { now: 5_000 })
    service.createJob(parseJobSpec({ id: 'a', run: { cmd: 'sleep 100' } }))
    service.createJob(parseJobSpec({ id: 'b', dependencies: [{ id: 'a' }], run: { cmd: 'true' } }))
    const p = service.startPipeline('b')
    runTasks(service, () => 'TASK_RUNNING')
    const stepRun = p.steps[0]!.runId!
    service.stopRun('a', stepRun)
    expect(kills).toEqual([`a_${stepRun}.1`])
    service.taskStatus('a', stepRun, `a_${stepRun}.1`, 'TASK_KILLED')
    const after = service.pipelineRun('b', p.id)
    expect(after.status).toBe('FAILED')
    expect(after.steps.map(s => [s.jobId, s.status, s.skippedBecause])).toEqual([['a', 'FAILED', undefined], ['b', 'SKIPPED', 'a']])
    expect(service.getRun('a', stepRun)).toMatchObject({ status: 'FAILED', failureReason: 'stopped' })
  })

  test('a stopped run\'s kill stays in flight while its task lives (the framework sends it again meanwhile)', () => {
    const clock = { now: 50_000 }
    const { service, kills } = boot(join(tempDir(), 'r.db'), clock)
    service.createJob(parseJobSpec({ id: 'k', run: { cmd: 'sleep 100' } }))
    const run = service.startRun('k')
    runTasks(service, () => 'TASK_RUNNING')
    service.stopRun('k', run.id)
    const task = `k_${run.id}.1`
    expect(kills).toEqual([task])
    clock.now += 10_000
    service.tick()
    expect(service.tasksToKill().map(t => t.taskId)).toEqual([task])
    service.taskStatus('k', run.id, task, 'TASK_KILLED')
    expect(service.tasksToKill()).toEqual([])
  })

  test("Metronome's conflicts: duplicate id, delete with active runs or dependents", () => {
    const { service, kills } = boot(join(tempDir(), 'r.db'), { now: 0 })
    service.createJob(parseJobSpec({ id: 'a', run: { cmd: 'true' } }))
    service.createJob(parseJobSpec({ id: 'b', dependencies: [{ id: 'a' }], run: { cmd: 'true' } }))
    const err = (f: () => unknown) => { try { f() } catch (e) { return [(e as JobsError).status, (e as JobsError).body] } return undefined }
    expect(err(() => service.createJob(parseJobSpec({ id: 'a', run: { cmd: 'x' } })))).toEqual([409, { message: 'Job with this id already exists' }])
    expect(err(() => service.deleteJob('a', false))).toEqual([409, { message: 'There are jobs with a dependency on a. children=[b]' }])
    service.startRun('b')
    runTasks(service, () => 'TASK_RUNNING')
    expect(err(() => service.deleteJob('b', false))).toEqual([409, { message: 'There are active job runs. Override with stopCurrentJobRuns=true' }])
    service.deleteJob('b', true)
    expect(kills).toHaveLength(1)
    expect(err(() => service.getSpec('b'))).toEqual([404, { id: 'b', message: 'Job not found' }])
    expect(err(() => service.getRun('a', 'nope'))).toEqual([404, { jobSpec: 'a', id: 'nope', message: 'Job Run not found' }])
  })
})

// Pipelines: the dependency graph's validation and the pipeline run's progress (a failed step skips its dependents,
// independent branches go on, `from` reuses what succeeded).

import { describe, expect, test } from 'bun:test'
import { SpecError } from '../../../src/master/jobs/job-spec.ts'
import { dependentsOf, pipelineSteps, validateDependencies } from '../../../src/master/jobs/pipeline-graph.ts'
import { newPipelineRun, onStepFinished, onStepStarted, PipelineError, stepsToStart, type PipelineRun } from '../../../src/master/jobs/pipeline-run.ts'

const spec = (id: string, ...deps: string[]) => ({ id, dependencies: deps.map(d => ({ id: d })) })
/** The diamond: a → b, a → c, b + c → d. */
const diamond = new Map([spec('a'), spec('b', 'a'), spec('c', 'a'), spec('d', 'b', 'c')].map(s => [s.id, s]))

const statuses = (p: PipelineRun) => Object.fromEntries(p.steps.map(s => [s.jobId, s.skippedBecause ? `${s.status}(${s.skippedBecause})` : s.status]))

function run(p: PipelineRun, outcomes: Record<string, boolean>, t = 1): PipelineRun {
  for (let guard = 0; guard < 10; guard++) {
    const ready = stepsToStart(p)
    if (!ready.length) break
    for (const s of ready) p = onStepStarted(p, s, `run-${s}`, t++)
    for (const s of ready) p = onStepFinished(p, s, outcomes[s] ?? true, t++)
  }
  return p
}

describe('dependency graph', () => {
  test('unknown jobs and cycles are refused on /dependencies', () => {
    const err = (f: () => void) => { try { f() } catch (e) { return (e as SpecError).details } throw new Error('no error') }
    expect(err(() => validateDependencies(spec('e', 'nope', 'a'), diamond))).toEqual([{ path: '/dependencies', errors: ['Dependencies contain unknown jobs. unknown=[nope]'] }])
    expect(err(() => validateDependencies(spec('a', 'd'), diamond))).toEqual([{ path: '/dependencies', errors: ['Dependencies have a cycle: a -> d -> b -> a'] }])
    expect(err(() => validateDependencies(spec('x', 'x'), diamond))).toEqual([{ path: '/dependencies', errors: ['Dependencies have a cycle: x -> x'] }])
    expect(() => validateDependencies(spec('e', 'd', 'a'), diamond)).not.toThrow()
  })

  test('a pipeline is the job and its transitive dependencies, dependencies first', () => {
    expect(pipelineSteps('d', diamond)).toEqual([
      { jobId: 'a', dependencies: [] }, { jobId: 'b', dependencies: ['a'] }, { jobId: 'c', dependencies: ['a'] }, { jobId: 'd', dependencies: ['b', 'c'] },
    ])
    expect(pipelineSteps('b', diamond).map(s => s.jobId)).toEqual(['a', 'b'])
    expect(dependentsOf('a', diamond)).toEqual(['b', 'c'])
  })
})

describe('pipeline runs', () => {
  test('all succeed: each step after its dependencies, the run SUCCESS', () => {
    let p = newPipelineRun('p1', 'd', pipelineSteps('d', diamond), 0)
    expect(stepsToStart(p)).toEqual(['a'])
    p = onStepStarted(p, 'a', 'r1', 1)
    expect(stepsToStart(p)).toEqual([])
    p = onStepFinished(p, 'a', true, 2)
    expect(stepsToStart(p)).toEqual(['b', 'c'])
    p = run(p, {})
    expect(p.status).toBe('SUCCESS')
    expect(statuses(p)).toEqual({ a: 'SUCCESS', b: 'SUCCESS', c: 'SUCCESS', d: 'SUCCESS' })
  })

  test('a failed branch skips its dependents and the other branch finishes', () => {
    let p = newPipelineRun('p1', 'd', pipelineSteps('d', diamond), 0)
    p = onStepStarted(p, 'a', 'ra', 1)
    p = onStepFinished(p, 'a', true, 2)
    p = onStepStarted(onStepStarted(p, 'b', 'rb', 3), 'c', 'rc', 3)
    p = onStepFinished(p, 'b', false, 4)
    expect(statuses(p)).toEqual({ a: 'SUCCESS', b: 'FAILED', c: 'ACTIVE', d: 'SKIPPED(b)' })
    expect(p.status).toBe('ACTIVE')
    p = onStepFinished(p, 'c', true, 5)
    expect(statuses(p)).toEqual({ a: 'SUCCESS', b: 'FAILED', c: 'SUCCESS', d: 'SKIPPED(b)' })
    expect(p.status).toBe('FAILED')
    expect(p.finishedAt).toBe(5)
  })

  test('rerun from a failed step reuses the successful steps that are not downstream of it', () => {
    const first = run(newPipelineRun('p1', 'd', pipelineSteps('d', diamond), 0), { b: false })
    let second = newPipelineRun('p2', 'd', pipelineSteps('d', diamond), 100, { from: 'b', previous: first })
    expect(statuses(second)).toEqual({ a: 'REUSED', b: 'WAITING', c: 'REUSED', d: 'WAITING' })
    expect(second.steps[0]!.runId).toBe('run-a')
    expect(stepsToStart(second)).toEqual(['b'])
    second = run(second, {})
    expect(second.status).toBe('SUCCESS')
    expect(statuses(second)).toEqual({ a: 'REUSED', b: 'SUCCESS', c: 'REUSED', d: 'SUCCESS' })
  })

  test('from must be a step, and needs a previous run', () => {
    expect(() => newPipelineRun('p', 'd', pipelineSteps('d', diamond), 0, { from: 'zz', previous: undefined })).toThrow(PipelineError)
    expect(() => newPipelineRun('p', 'd', pipelineSteps('d', diamond), 0, { from: 'b', previous: undefined })).toThrow(/no previous pipeline run/)
  })
})

// The jobs pages' pure parts (src/ui/model/jobs.ts): Metronome times, a pipeline run's DAG in columns.

import { expect, test } from 'bun:test'
import { metronomeSeconds, pipelineColumns, runTone, type PipelineStepJson } from '../../src/ui/model/jobs.ts'
import { parseRoute, routeHash } from '../../src/ui/model/route.ts'

const step = (jobId: string, dependencies: string[] = [], status = 'WAITING'): PipelineStepJson => ({ jobId, dependencies, status })

test('a diamond pipeline lays out in three columns, every dependency to the left', () => {
  const cols = pipelineColumns([step('report', ['clean', 'stats']), step('stats', ['fetch']), step('fetch'), step('clean', ['fetch'])])
  expect(cols.map(c => c.map(s => s.jobId))).toEqual([['fetch'], ['clean', 'stats'], ['report']])
})

test('the longest chain decides a column; unknown dependencies and cycles do not break the layout', () => {
  const cols = pipelineColumns([step('a'), step('b', ['a']), step('c', ['b']), step('d', ['a', 'c']), step('e', ['gone'])])
  expect(cols.map(c => c.map(s => s.jobId))).toEqual([['a', 'e'], ['b'], ['c'], ['d']])
  const cyclic = pipelineColumns([step('x', ['y']), step('y', ['x'])])
  expect(cyclic.flat().map(s => s.jobId).sort()).toEqual(['x', 'y'])
  expect(pipelineColumns([])).toEqual([])
})

test("Metronome's times and statuses", () => {
  expect(metronomeSeconds('2026-12-06T23:51:02.500+0000')).toBe(Date.UTC(2026, 11, 6, 23, 51, 2, 500) / 1000)
  expect(metronomeSeconds('2026-12-06T23:51:02.000+0130')).toBe(Date.UTC(2026, 11, 6, 22, 21, 2) / 1000)
  expect(metronomeSeconds(null)).toBeUndefined()
  expect(metronomeSeconds('soon')).toBeUndefined()
  expect(runTone('SUCCESS')).toBe('done')
  expect(runTone('ACTIVE')).toBe('ok')
  expect(runTone('FAILED')).toBe('bad')
  expect(runTone('SKIPPED')).toBe('busy')
})

test('job routes', () => {
  expect(parseRoute('#/jobs')).toEqual({ page: 'jobs' })
  expect(parseRoute(routeHash({ page: 'job', id: 'etl.nightly' }))).toEqual({ page: 'job', id: 'etl.nightly' })
})

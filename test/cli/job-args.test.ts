// Arguments of the `meso job` commands: the fast-path parser agrees with oclif on every job command (what it
// accepts, it parses as oclif does), job spec files (JSON, YAML, several jobs, dependency order, refusals), and the
// pure pieces of `job run --wait` (progress lines, exit codes) and of what the job commands print.

import { describe, expect, test } from 'bun:test'
import { Parser } from '@oclif/core'
import { parseArgv } from '../../src/cli/argv.ts'
import { COMMANDS } from '../../src/commands/index.ts'
import { HANDLERS } from '../../src/cli/handlers/index.ts'
import { commandDef } from '../../scripts/cli-manifest-builder.ts'
import { JobFileError, parseJobSpecs } from '../../src/client/job-spec-file.ts'
import { epochSeconds, jobApiErrorLine, type PipelineRun } from '../../src/client/jobs.ts'
import { pipelineExitCode, runExitCode, stepChanges, stepSummary } from '../../src/client/pipeline-progress.ts'
import { PrefixedLines } from '../../src/client/prefixed-lines.ts'
import { commandOf, duration, lastRunStatus, schedulesCell, specSteps } from '../../src/cli/handlers/job-format.ts'

const SAMPLES: Record<string, string[][]> = {
  'job:create': [['job.json'], ['-'], ['--replace', 'p.yaml'], [], ['a', 'b']],
  'job:list': [[], ['--json'], ['--master', 'http://x:1'], ['extra']],
  'job:show': [['backup'], ['backup', '--json'], []],
  'job:run': [['backup'], ['backup', '--wait'], ['backup', '-w'], ['release', '--from', 'build', '-w'], ['release', '--from=build'], ['backup', '--json'], [], ['backup', '--from']],
  'job:stop': [['backup', '2026120600000012345'], ['backup'], []],
  'job:history': [['backup'], ['backup', '--json']],
  'job:rm': [['backup'], ['backup', '--stop-runs']],
  'job:schedule:add': [
    ['backup', '--cron', '0 3 * * *'], ['backup', 'nightly', '--cron=*/5 * * * *', '--timezone', 'Europe/Paris'],
    ['backup', '--cron', 'x', '--concurrency-policy', 'FORBID', '--starting-deadline', '60', '--disabled', '--replace'],
    ['backup', '--concurrency-policy', 'SOMETIMES'], ['backup', '--starting-deadline', 'soon'], ['backup', '--starting-deadline', '1.5'],
  ],
  'job:schedule:list': [['backup'], ['backup', '--json']],
  'job:schedule:rm': [['backup', 'nightly'], ['backup']],
}

async function oclifParse(cls: any, argv: string[]) {
  try {
    const r = await Parser.parse(argv, { flags: cls.flags, args: cls.args ?? {}, strict: cls.strict !== false, context: { config: {} } as any })
    return { flags: r.flags, args: r.args, argv: r.argv }
  } catch {
    return undefined
  }
}

const normalize = (flags: Record<string, unknown>) => Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && v !== false))

describe('job commands: the fast path parses as oclif does', () => {
  test('every job command is registered with a handler', () => {
    const ids = Object.keys(COMMANDS).filter(id => id.startsWith('job:')).sort()
    expect(ids).toEqual(Object.keys(SAMPLES).sort())
    for (const id of ids) expect(HANDLERS[id]).toBeDefined()
  })
  for (const [id, samples] of Object.entries(SAMPLES)) {
    test(id, async () => {
      const cls = (COMMANDS as Record<string, any>)[id]
      const def = await commandDef(cls, '')
      for (const argv of samples) {
        const fast = parseArgv(def, argv, {})
        const slow = await oclifParse(cls, argv)
        if (!fast) continue
        expect(slow, `oclif refused ${JSON.stringify(argv)} which the fast parser accepted`).toBeDefined()
        expect({ argv: fast.argv, args: fast.args, flags: normalize(fast.flags) }).toEqual({ argv: slow!.argv.map(String), args: slow!.args as any, flags: normalize(slow!.flags) })
      }
    })
  }
  test('what oclif refuses, the fast path refuses too', async () => {
    for (const [id, argv] of [['job:run', ['backup', '--from']], ['job:schedule:add', ['b', '--concurrency-policy', 'SOMETIMES']], ['job:schedule:add', ['b', '--starting-deadline', '1.5']], ['job:show', []], ['job:list', ['extra']]] as const) {
      const cls = (COMMANDS as Record<string, any>)[id]
      expect(await oclifParse(cls, [...argv])).toBeUndefined()
      expect(parseArgv(await commandDef(cls, ''), [...argv], {})).toBeUndefined()
    }
  })
})

describe('job spec files', () => {
  test('one job in JSON', () => {
    expect(parseJobSpecs('{"id": "hello", "run": {"cmd": "echo hi", "cpus": 0.1, "mem": 32}}', 'a.json')).toEqual([{ id: 'hello', run: { cmd: 'echo hi', cpus: 0.1, mem: 32 } }])
  })
  test('one job in YAML', () => {
    expect(parseJobSpecs('id: hello\nrun:\n  cmd: echo hi\n  cpus: 0.1\n  mem: 32\n', 'a.yaml')).toEqual([{ id: 'hello', run: { cmd: 'echo hi', cpus: 0.1, mem: 32 } }])
  })
  test('a pipeline in one file is ordered dependencies first (JSON array, YAML list, YAML documents)', () => {
    const job = (id: string, deps: string[] = []) => ({ id, ...(deps.length ? { dependencies: deps.map(d => ({ id: d })) } : {}), run: { cmd: 'true' } })
    const specs = [job('package', ['build-a', 'build-b']), job('build-b', ['checkout']), job('build-a', ['checkout']), job('checkout')]
    const ids = (list: { id: string }[]) => list.map(s => s.id)
    expect(ids(parseJobSpecs(JSON.stringify(specs), 'p.json'))).toEqual(['checkout', 'build-a', 'build-b', 'package'])
    const yamlDocs = specs.map(s => `id: ${s.id}\n${s.dependencies ? `dependencies:\n${s.dependencies.map(d => `  - id: ${d.id}`).join('\n')}\n` : ''}run:\n  cmd: 'true'\n`).join('---\n')
    expect(ids(parseJobSpecs(yamlDocs, 'p.yaml'))).toEqual(['checkout', 'build-a', 'build-b', 'package'])
    // A dependency outside the file is left to the server (it must exist there).
    expect(ids(parseJobSpecs(JSON.stringify([job('deploy', ['elsewhere'])]), 'p.json'))).toEqual(['deploy'])
  })
  test('refusals name the file and the problem', () => {
    const refuse = (text: string) => { try { parseJobSpecs(text, 'f') } catch (err) { expect(err).toBeInstanceOf(JobFileError); return (err as Error).message } return 'accepted' }
    expect(refuse('')).toBe('f is empty; expected a job spec in JSON or YAML')
    expect(refuse('{"id": ')).toStartWith('f is not valid JSON: ')
    expect(refuse('id: [a\n')).toStartWith('f is not valid YAML: ')
    expect(refuse('[]')).toBe('f holds no job spec')
    expect(refuse('"hello"')).toBe('f is not a job spec (an object with "id" and "run")')
    expect(refuse('{"run": {}}')).toBe('f has no "id"')
    expect(refuse('[{"id": "a"}, {"run": {}}]')).toBe('job #2 of f has no "id"')
    expect(refuse('{"id": "a", "dependencies": ["b"]}')).toBe(`job 'a' in f: "dependencies" must be a list of {"id": "<job id>"}`)
    expect(refuse('[{"id": "a"}, {"id": "a"}]')).toBe("f defines job 'a' twice")
    expect(refuse('[{"id": "a", "dependencies": [{"id": "b"}]}, {"id": "b", "dependencies": [{"id": "a"}]}]')).toBe('f: the dependencies form a cycle: a → b → a')
    expect(refuse(JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ id: `j${i}` }))))).toBe('f holds 1001 jobs; at most 1000 a file')
  })
})

describe('API errors are one line', () => {
  test("Metronome's 422 details, path by path", () => {
    const body = JSON.stringify({ message: 'Object is not valid', details: [{ path: '/run/cpus', errors: ['is less than 0.01'] }, { path: '/id', errors: ['must match', 'is too long'] }] })
    expect(jobApiErrorLine("creating job 'x'", 422, 'Unprocessable Entity', body)).toBe("creating job 'x' failed: Object is not valid: /run/cpus: is less than 0.01; /id: must match, is too long")
  })
  test('a message alone; a body that is not JSON; 401 adds the credentials hint', () => {
    expect(jobApiErrorLine("reading job 'x'", 404, 'Not Found', '{"message":"Job \'x\' does not exist"}')).toBe("reading job 'x' failed: Job 'x' does not exist")
    expect(jobApiErrorLine('listing jobs', 502, 'Bad Gateway', 'upstream\nsecond line')).toBe('listing jobs failed: 502 Bad Gateway: upstream')
    expect(jobApiErrorLine('listing jobs', 401, 'Unauthorized', '')).toStartWith('listing jobs failed: 401 Unauthorized; ')
  })
})

describe('job run --wait: progress and exit codes', () => {
  const run = (status: string, steps: [string, string, string?][]): PipelineRun => ({
    id: 'p1', jobId: 'package', status, createdAt: '2026-12-06T00:00:00.000Z',
    steps: steps.map(([jobId, st, extra], i) => ({ jobId, dependencies: [], status: st, ...(st === 'SKIPPED' ? { skippedBecause: extra } : {}), ...(st === 'ACTIVE' ? { runId: extra } : {}), ...(st === 'FAILED' ? { finishedAt: `2026-12-06T00:00:0${extra ?? i}.000Z` } : {}) })),
  })
  test('a line per step that changed; waiting steps stay quiet at first', () => {
    const a = run('ACTIVE', [['checkout', 'ACTIVE', 'r1'], ['build', 'WAITING']])
    expect(stepChanges(undefined, a)).toEqual(['step checkout: ACTIVE (run r1)'])
    const b = run('FAILED', [['checkout', 'FAILED'], ['build', 'SKIPPED', 'checkout']])
    expect(stepChanges(a, b)).toEqual(['step checkout: FAILED', 'step build: SKIPPED (checkout failed)'])
    expect(stepChanges(b, b)).toEqual([])
    expect(stepChanges(undefined, run('ACTIVE', [['checkout', 'REUSED']]))).toEqual(['step checkout: REUSED (succeeded in an earlier run)'])
    // A reason that is no step of the run (the service stopped the pipeline) is shown as it is.
    expect(stepChanges(a, run('FAILED', [['checkout', 'ACTIVE', 'r1'], ['build', 'SKIPPED', 'checkout (stopped)']]))).toEqual(['step build: SKIPPED (checkout (stopped))'])
  })
  test('summary', () => {
    expect(stepSummary(run('FAILED', [['a', 'SUCCESS'], ['b', 'SUCCESS'], ['c', 'FAILED'], ['d', 'SKIPPED', 'c'], ['e', 'REUSED']]).steps)).toBe('2 succeeded, 1 reused, 1 failed, 1 skipped')
  })
  test("a plain run: the task's code, else the run's exitCode, else by status", () => {
    expect(runExitCode({ status: 'FAILED', exitCode: 3 }, 137)).toBe(137)
    expect(runExitCode({ status: 'FAILED', exitCode: 3 }, undefined)).toBe(3)
    expect(runExitCode({ status: 'FAILED' }, undefined)).toBe(1)
    expect(runExitCode({ status: 'SUCCESS' }, undefined)).toBe(0)
  })
  test("a pipeline: 0 only when all succeeded; else the first failed step's code, never 0", () => {
    expect(pipelineExitCode(run('SUCCESS', [['a', 'SUCCESS'], ['b', 'REUSED']]), new Map())).toBe(0)
    const failed = run('FAILED', [['a', 'SUCCESS'], ['late', 'FAILED', '9'], ['early', 'FAILED', '2'], ['d', 'SKIPPED', 'early']])
    expect(pipelineExitCode(failed, new Map([['late', 4], ['early', 3]]))).toBe(3)
    expect(pipelineExitCode(failed, new Map([['early', 0]]))).toBe(1)
    expect(pipelineExitCode(failed, new Map())).toBe(1)
  })
  test('step output is prefixed line by line, never mid-line', () => {
    const written: string[] = []
    const out = { write: (b: Buffer) => { written.push(b.toString()); return true } } as unknown as NodeJS.WritableStream
    const p = new PrefixedLines('[build] ', out)
    p.write(Buffer.from('one\ntw'))
    p.write(Buffer.from('o\nthr'))
    p.write(Buffer.from('ee'))
    p.flushPartial()
    p.flushPartial()
    expect(written).toEqual(['[build] one\n', '[build] two\n', '[build] three\n'])
  })

  test("Metronome's timestamps read in both offset forms", () => {
    expect(epochSeconds('2016-07-15T13:02:59.735+0000')).toBe(Date.UTC(2016, 6, 15, 13, 2, 59, 735) / 1000)
    expect(epochSeconds('2016-07-15T13:02:59.735Z')).toBe(Date.UTC(2016, 6, 15, 13, 2, 59, 735) / 1000)
    expect(epochSeconds(null)).toBeUndefined()
    expect(epochSeconds('yesterday')).toBeUndefined()
  })
})

describe('job output pieces', () => {
  const base = { id: 'j', run: {} }
  test('last run: ACTIVE while one runs, else the later of last success and last failure', () => {
    expect(lastRunStatus({ ...base, activeRuns: [{ id: 'r', jobId: 'j', status: 'STARTING', createdAt: '', tasks: [] }] })).toBe('ACTIVE')
    expect(lastRunStatus({ ...base, historySummary: { successCount: 1, failureCount: 1, lastSuccessAt: '2026-12-06T10:00:00.000+0000', lastFailureAt: '2026-12-06T09:00:00.000+0000' } })).toBe('SUCCESS')
    expect(lastRunStatus({ ...base, historySummary: { successCount: 0, failureCount: 1, lastSuccessAt: null, lastFailureAt: '2026-12-06T09:00:00.000+0000' } })).toBe('FAILED')
    expect(lastRunStatus(base)).toBe('-')
  })
  test('schedules in one cell; durations; the command of a job', () => {
    expect(schedulesCell([{ id: 'a', cron: '0 3 * * *' }, { id: 'b', cron: '30 1 * * *', timezone: 'Europe/Paris', enabled: false }])).toBe('0 3 * * *, 30 1 * * * Europe/Paris (disabled)')
    expect(schedulesCell([])).toBe('-')
    const at = (s: number) => new Date(Date.UTC(2026, 11, 6) + s * 1000).toISOString()
    expect([duration(at(0), at(12)), duration(at(0), at(184)), duration(at(0), at(7500)), duration(at(0), null)]).toEqual(['12s', '3m4s', '2h5m', '-'])
    expect(commandOf({ ...base, run: { cmd: 'echo a\n  && echo b' } })).toBe('echo a && echo b')
    expect(commandOf({ ...base, run: { args: ['sh', '-c', 'echo hi'] } })).toBe('sh -c "echo hi"')
  })
  test('a pipeline from the specs alone: the job and what it depends on, transitively', () => {
    const jobs = new Map([
      ['release', { ...base, id: 'release', dependencies: [{ id: 'build' }, { id: 'docs' }] }],
      ['build', { ...base, id: 'build', dependencies: [{ id: 'checkout' }] }],
      ['checkout', { ...base, id: 'checkout' }],
      ['unrelated', { ...base, id: 'unrelated' }],
    ])
    expect(specSteps('release', jobs)).toEqual([
      { id: 'checkout', dependencies: [] }, { id: 'build', dependencies: ['checkout'] }, { id: 'docs', dependencies: [] }, { id: 'release', dependencies: ['build', 'docs'] },
    ])
  })
})

// Every `meso job` command as users run it (the CLI from the sources, in a child process) against a small
// Metronome-shaped master (job-fake-metronome.ts): output, exit codes (0; a task's own code through
// `run --wait`; 1 for API errors, with Metronome's 422 details on one line; 2 for usage errors; 125 when the master
// cannot be reached), and what was asked of the API.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FakeMetronome } from './job-fake-metronome.ts'

const ROOT = resolve(import.meta.dir, '../..')
const dir = mkdtempSync(join(tmpdir(), 'meso-job-cli-'))
const fake = new FakeMetronome()

beforeAll(() => { fake.start() })
afterAll(() => { fake.stop(); rmSync(dir, { recursive: true, force: true }) })

async function meso(args: string[], opts: { stdin?: string; master?: string | null } = {}) {
  const master = opts.master === null ? [] : [`--master=${opts.master ?? fake.url}`]
  // The master flag goes after the command words (before `--` there is none in job commands).
  const words = args.findIndex(a => a.startsWith('-'))
  const argv = words < 0 ? [...args, ...master] : [...args.slice(0, words), ...master, ...args.slice(words)]
  const proc = Bun.spawn([process.execPath, join(ROOT, 'src', 'main.ts'), ...argv], {
    cwd: dir,
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : 'ignore', stdout: 'pipe', stderr: 'pipe',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', COLUMNS: '80' },
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  return { stdout, stderr, code }
}

const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p }
const job = (id: string, opts: { deps?: string[]; exit?: number; description?: string } = {}) => ({
  id, ...(opts.description ? { description: opts.description } : {}),
  ...(opts.deps ? { dependencies: opts.deps.map(d => ({ id: d })) } : {}),
  ...(opts.exit ? { labels: { 'test/exit': String(opts.exit) } } : {}),
  run: { cmd: `echo ${id}`, cpus: 0.1, mem: 32, disk: 0 },
})

describe('meso job create', () => {
  test('from a JSON file; again: 409 with the --replace hint; --replace replaces', async () => {
    const f = file('hello.json', JSON.stringify(job('hello', { description: 'says hello' })))
    expect(await meso(['job', 'create', f])).toEqual({ code: 0, stdout: 'job hello created\n', stderr: '' })
    const again = await meso(['job', 'create', f])
    expect(again.code).toBe(1)
    expect(again.stderr).toBe(`error: creating job 'hello' failed: Job with this id already exists; replace it with 'meso job create --replace ${f}'\n`)
    expect(await meso(['job', 'create', '--replace', f])).toMatchObject({ code: 0, stdout: 'job hello replaced\n' })
    expect(fake.requests.filter(r => r.startsWith('PUT /v1/jobs/hello')).length).toBe(1)
  })

  test("from stdin, in YAML; a pipeline file is created dependencies first", async () => {
    const yaml = [job('release', { deps: ['build-linux', 'build-mac'] }), job('build-mac', { deps: ['checkout'], exit: 3 }), job('build-linux', { deps: ['checkout'] }), job('checkout')]
      .map(j => Bun.YAML.stringify(j)).join('\n---\n')
    const r = await meso(['job', 'create', '-'], { stdin: yaml })
    expect(r).toEqual({ code: 0, stdout: 'job checkout created\njob build-linux created\njob build-mac created\njob release created\n', stderr: '' })
  })

  test("Metronome's 422 details on one line, exit 1", async () => {
    const f = file('bad.json', JSON.stringify({ ...job('bad'), run: { cmd: 'true', cpus: 0 }, dependencies: [{ id: 'nope' }] }))
    const r = await meso(['job', 'create', f])
    expect(r.code).toBe(1)
    expect(r.stderr).toBe("error: creating job 'bad' failed: Object is not valid: /run/cpus: error.min(0.01); /dependencies: Job 'nope' does not exist\n")
  })

  test('usage errors exit 2: no file, an unreadable file, a file that is no spec', async () => {
    expect(await meso(['job', 'create'])).toMatchObject({ code: 2, stderr: "error: missing FILE; see 'meso job create --help'\n" })
    expect(await meso(['job', 'create', join(dir, 'absent.json')])).toMatchObject({ code: 2, stderr: `error: cannot read ${join(dir, 'absent.json')}: ENOENT\n` })
    const cyc = file('cycle.json', JSON.stringify([job('a', { deps: ['b'] }), job('b', { deps: ['a'] })]))
    expect(await meso(['job', 'create', cyc])).toMatchObject({ code: 2, stderr: `error: ${cyc}: the dependencies form a cycle: a → b → a\n` })
  })
})

describe('meso job list / show', () => {
  test('list: a table, and --json with the embeds asked for', async () => {
    const r = await meso(['job', 'list'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID +DESCRIPTION +AFTER +SCHEDULES +LAST RUN +LAST SUCCESS$/)
    expect(lines.find(l => l.startsWith('release'))).toMatch(/^release +- +build-linux,build-mac +- +- +-$/)
    expect(lines.find(l => l.startsWith('hello'))).toMatch(/^hello +says hello +- +- +- +-$/)
    const j = await meso(['job', 'list', '--json'])
    expect(JSON.parse(j.stdout).map((x: { id: string }) => x.id).sort()).toEqual(['build-linux', 'build-mac', 'checkout', 'hello', 'release'])
    expect(fake.requests).toContain('GET /v1/jobs?embed=activeRuns&embed=schedules&embed=historySummary')
  })

  test('show: the spec summary; a pipeline never run is drawn from the specs', async () => {
    const r = await meso(['job', 'show', 'release'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('command    echo release\n')
    expect(r.stdout).toContain('resources  cpus 0.1, mem 32 MB, disk 0 MB\n')
    expect(r.stdout).toContain('after      build-linux, build-mac\n')
    expect(r.stdout).toContain(`pipeline (never run; start it with 'meso job run release')
○ checkout
├─┐
│ ○ build-linux
○ │ build-mac
├─┘
○ release
`)
  })

  test('an unknown job: the API\'s 404 message, exit 1', async () => {
    expect(await meso(['job', 'show', 'nope'])).toMatchObject({ code: 1, stderr: "error: reading job 'nope' failed: Job 'nope' does not exist\n" })
  })
})

describe('meso job run', () => {
  test('prints the run id; --json prints the run object', async () => {
    const r = await meso(['job', 'run', 'hello'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^2026120600000\d+\n$/)
    const j = await meso(['job', 'run', 'hello', '--json'])
    expect(JSON.parse(j.stdout)).toMatchObject({ jobId: 'hello', status: 'STARTING', tasks: [] })
  })

  test('--wait streams the task output and exits 0', async () => {
    const r = await meso(['job', 'run', 'hello', '--wait'])
    expect(r).toMatchObject({ code: 0, stdout: 'out of hello\n' })
    expect(r.stderr).toMatch(/^run \d+ of job 'hello' started\n$/)
  })

  test("--wait passes the task's exit code through, its stderr to stderr", async () => {
    const f = file('fail.json', JSON.stringify(job('fails', { exit: 3 })))
    await meso(['job', 'create', f])
    const r = await meso(['job', 'run', 'fails', '-w'])
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('out of fails\n')
    expect(r.stderr).toContain('boom in fails\n')
    expect(r.stderr).not.toContain('error:')
  })

  test('a run stopped while followed: 137 (killed by SIGKILL) and why; stopping it again: 404, exit 1', async () => {
    const f = file('slow.json', JSON.stringify({ ...job('slow'), labels: { 'test/duration-ms': '20000' } }))
    await meso(['job', 'create', f])
    const waited = meso(['job', 'run', 'slow', '--wait'])
    let id: string | undefined
    for (let i = 0; i < 200 && !id; i++) { id = [...(fake.jobs.get('slow')?.active.values() ?? [])].find(r => r.tasks.length)?.id; if (!id) await Bun.sleep(50) }
    expect(id).toBeDefined()
    await Bun.sleep(300) // the follower has found the task
    expect(await meso(['job', 'stop', 'slow', id!])).toEqual({ code: 0, stdout: `run ${id} of job slow stopped\n`, stderr: '' })
    const w = await waited
    expect(w.code).toBe(137)
    expect(w.stdout).toBe('out of slow\n')
    expect(w.stderr).toContain(`error: run ${id} of job 'slow' FAILED: task slow_${id}.1 TASK_KILLED: stopped by the jobs service\n`)
    expect(await meso(['job', 'stop', 'slow', id!])).toMatchObject({ code: 1, stderr: `error: stopping run ${id} of job 'slow' failed: JobRun '${id}' does not exist\n` })
  })

  test('restart policy ON_FAILURE: both tasks are followed, the run ends with the last one (exit 0)', async () => {
    const f = file('flaky.json', JSON.stringify({ ...job('flaky', { exit: 5 }), run: { cmd: 'x', restart: { policy: 'ON_FAILURE' } } }))
    expect((await meso(['job', 'create', f])).code).toBe(0)
    const r = await meso(['job', 'run', 'flaky', '--wait'])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('out of flaky\nretry of flaky\n')
    expect(r.stderr).toMatch(/boom in flaky\nrun (\d+): task flaky_\1\.1 ended; the restart policy started task flaky_\1\.2\n/)
  })

  test('Ctrl-C stops following, not the run: exit 130 and how to stop it', async () => {
    const proc = Bun.spawn([process.execPath, join(ROOT, 'src', 'main.ts'), 'job', 'run', 'slow', '--wait', `--master=${fake.url}`], {
      cwd: dir, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1' },
    })
    const stderr = new Response(proc.stderr).text()
    let run: { id: string; tasks: unknown[] } | undefined
    for (let i = 0; i < 200 && !run?.tasks.length; i++) { await Bun.sleep(50); run = [...(fake.jobs.get('slow')?.active.values() ?? [])][0] }
    await Bun.sleep(300)
    proc.kill('SIGINT')
    expect(await proc.exited).toBe(130)
    expect(await stderr).toContain(`stopped following run ${run!.id} of job 'slow'; it goes on (stop it with 'meso job stop slow ${run!.id}')`)
    expect(fake.jobs.get('slow')!.active.has(run!.id)).toBe(true)
    expect((await meso(['job', 'stop', 'slow', run!.id])).code).toBe(0)
  })

  test('--from on a job without dependencies, --json with --wait: usage errors', async () => {
    expect(await meso(['job', 'run', 'hello', '--from', 'x'])).toMatchObject({ code: 2, stderr: "error: --from names a step of a pipeline, and job 'hello' has no dependencies; run it without --from\n" })
    expect((await meso(['job', 'run', 'hello', '--json', '--wait'])).code).toBe(2)
    expect(await meso(['job', 'run'])).toMatchObject({ code: 2, stderr: "error: missing JOB; see 'meso job run --help'\n" })
  })
})

describe('pipelines', () => {
  test('run --wait: steps in dependency order, outputs prefixed, the failed branch stops its dependents', async () => {
    const r = await meso(['job', 'run', 'release', '--wait'])
    expect(r.code).toBe(3) // build-mac's own exit code
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['[build-linux] out of build-linux', '[build-mac] out of build-mac', '[checkout] out of checkout'])
    const err = r.stderr.split('\n')
    expect(err[0]).toMatch(/^pipeline run p\d+ of job 'release' started: 4 steps$/)
    expect(err).toContain('[build-mac] boom in build-mac')
    expect(err).toContain('step build-mac: FAILED')
    expect(err).toContain('step release: SKIPPED (build-mac failed)')
    expect(err.indexOf('step checkout: SUCCESS')).toBeLessThan(err.findIndex(l => l.startsWith('step build-linux: ACTIVE')))
    expect(r.stderr).toContain(`: 2 succeeded, 1 failed, 1 skipped
● checkout [SUCCESS]
├─┐
│ ● build-linux [SUCCESS]
● │ build-mac [FAILED]
├─┘
● release [SKIPPED] skipped: build-mac
`)
  })

  test('show draws the latest pipeline run; --json carries it as pipelineRun', async () => {
    const r = await meso(['job', 'show', 'release'])
    expect(r.stdout).toMatch(/pipeline run p\d+: FAILED, started \d+s ago, 2 succeeded, 1 failed, 1 skipped\n● checkout \[SUCCESS\]\n/)
    expect(r.stdout).toContain('● release [SKIPPED] skipped: build-mac\n')
    const j = JSON.parse((await meso(['job', 'show', 'release', '--json'])).stdout)
    expect(j.id).toBe('release')
    expect(j.pipelineRun.steps.map((s: { jobId: string; status: string }) => `${s.jobId}=${s.status}`)).toEqual(['checkout=SUCCESS', 'build-linux=SUCCESS', 'build-mac=FAILED', 'release=SKIPPED'])
  })

  test('--from the failed step after fixing it: the others are reused, exit 0', async () => {
    const f = file('mac-fixed.json', JSON.stringify(job('build-mac', { deps: ['checkout'] })))
    expect((await meso(['job', 'create', '--replace', f])).code).toBe(0)
    const r = await meso(['job', 'run', 'release', '--from', 'build-mac', '--wait'])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('step checkout: REUSED (succeeded in an earlier run, run ')
    expect(r.stderr).toContain('step build-linux: REUSED')
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['[build-mac] out of build-mac', '[release] out of release'])
    expect(fake.requests.some(q => q === 'POST /v1/jobs/release/runs?from=build-mac')).toBe(true)
  })

  test('stop with a pipeline run id stops its running steps; the rest is skipped', async () => {
    const f = file('slow-pipe.json', JSON.stringify([{ ...job('slow-root'), labels: { 'test/duration-ms': '20000' } }, job('after-slow', { deps: ['slow-root'] })]))
    expect((await meso(['job', 'create', f])).code).toBe(0)
    const id = (await meso(['job', 'run', 'after-slow'])).stdout.trim()
    expect(id).toMatch(/^p\d+$/)
    await Bun.sleep(200)
    const r = await meso(['job', 'stop', 'after-slow', id])
    expect(r.stdout).toMatch(new RegExp(`^pipeline run ${id} of job after-slow stopped: step slow-root \\(run \\d+\\)\\n$`))
    const show = await meso(['job', 'show', 'after-slow'])
    expect(show.stdout).toContain('● slow-root [FAILED]\n● after-slow [SKIPPED] skipped: slow-root\n')
    expect((await meso(['job', 'stop', 'after-slow', id])).stdout).toBe(`pipeline run ${id} of job after-slow is not running (FAILED)\n`)
  })

  test('history of a pipeline job: its pipeline runs and its own runs; --json', async () => {
    const r = await meso(['job', 'history', 'release'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^job release: 1 succeeded \(last \d+s ago\), 0 failed \(last -\)\n/)
    expect(r.stdout).toMatch(/PIPELINE RUN +STATUS +STARTED +DURATION +STEPS\np\d+ +SUCCESS +\d+s ago +\d+s +2 succeeded, 2 reused\np\d+ +FAILED .* 2 succeeded, 1 failed, 1 skipped\n/)
    const j = JSON.parse((await meso(['job', 'history', 'release', '--json'])).stdout)
    expect(j.successCount).toBe(1)
    expect(j.pipelineRuns.length).toBe(2)
  })
})

describe('history, stop, rm', () => {
  test('history of a plain job: newest first, with durations', async () => {
    const r = await meso(['job', 'history', 'fails'])
    expect(r.stdout).toMatch(/^job fails: 0 succeeded \(last -\), 1 failed \(last \d+s ago\)\n\nRUN +STATUS +STARTED +DURATION +TASKS\n\d+ +FAILED +\d+s ago +\ds +fails_\d+\.1\n$/)
    const j = JSON.parse((await meso(['job', 'history', 'fails', '--json'])).stdout)
    expect(j).toMatchObject({ successCount: 0, failureCount: 1 })
    expect(j.failedFinishedRuns[0].tasks[0]).toMatch(/^fails_/)
  })

  test('rm refuses a job with active runs (hint: --stop-runs), then removes it', async () => {
    await meso(['job', 'run', 'hello'])
    const r = await meso(['job', 'rm', 'hello'])
    expect(r).toMatchObject({ code: 1, stderr: "error: removing job 'hello' failed: There are active job runs. Override with stopCurrentJobRuns=true; stop them with 'meso job rm --stop-runs hello'\n" })
    expect(await meso(['job', 'rm', 'hello', '--stop-runs'])).toEqual({ code: 0, stdout: 'job hello removed\n', stderr: '' })
    expect(fake.requests).toContain('DELETE /v1/jobs/hello?stopCurrentJobRuns=true')
  })
})

describe('meso job schedule', () => {
  test('add, list, replace, remove', async () => {
    expect(await meso(['job', 'schedule', 'add', 'checkout', 'nightly', '--cron', '0 3 * * *', '--timezone', 'Europe/Paris', '--concurrency-policy', 'FORBID', '--starting-deadline', '600']))
      .toEqual({ code: 0, stdout: 'schedule nightly added to job checkout, next run 2026-12-07T03:00:00.000+0000\n', stderr: '' })
    expect(fake.jobs.get('checkout')!.schedules[0]).toMatchObject({ id: 'nightly', cron: '0 3 * * *', timezone: 'Europe/Paris', concurrencyPolicy: 'FORBID', startingDeadlineSeconds: 600, enabled: true })
    const dup = await meso(['job', 'schedule', 'add', 'checkout', 'nightly', '--cron', '0 4 * * *'])
    expect(dup).toMatchObject({ code: 1, stderr: "error: adding schedule 'nightly' to job 'checkout' failed: A schedule with id nightly already exists; replace it with 'meso job schedule add --replace'\n" })
    expect((await meso(['job', 'schedule', 'add', 'checkout', 'nightly', '--cron', '0 4 * * *', '--replace'])).stdout).toBe('schedule nightly replaced on job checkout, next run 2026-12-07T04:00:00.000+0000\n')
    const l = await meso(['job', 'schedule', 'list', 'checkout'])
    expect(l.stdout).toMatch(/^ID +CRON +TIMEZONE +POLICY +DEADLINE +ENABLED +NEXT RUN\nnightly +0 4 \* \* \* +UTC +ALLOW +- +yes +2026-12-07T04:00:00.000\+0000\n$/)
    expect(JSON.parse((await meso(['job', 'schedule', 'list', 'checkout', '--json'])).stdout)[0].cron).toBe('0 4 * * *')
    expect((await meso(['job', 'list'])).stdout.split('\n').find(x => x.startsWith('checkout'))).toContain('0 4 * * *')
    expect(await meso(['job', 'schedule', 'rm', 'checkout', 'nightly'])).toEqual({ code: 0, stdout: 'schedule nightly of job checkout removed\n', stderr: '' })
    expect(await meso(['job', 'schedule', 'rm', 'checkout', 'nightly'])).toMatchObject({ code: 1, stderr: "error: removing schedule 'nightly' of job 'checkout' failed: Schedule 'nightly' does not exist\n" })
  })

  test('usage errors exit 2', async () => {
    expect(await meso(['job', 'schedule', 'add', 'checkout'])).toMatchObject({ code: 2, stderr: "error: missing --cron EXPR (e.g. --cron '0 3 * * *'); see 'meso job schedule add --help'\n" })
    expect((await meso(['job', 'schedule', 'add', 'checkout', '--cron', '* * * * *', '--concurrency-policy', 'SOMETIMES'])).code).toBe(2)
    expect((await meso(['job', 'schedule', 'add', 'checkout', '--cron', '* * * * *', '--starting-deadline', '0'])).code).toBe(2)
  })
})

test('an unreachable master: exit 125', async () => {
  const r = await meso(['job', 'list'], { master: 'http://127.0.0.1:1' })
  expect(r.code).toBe(125)
  expect(r.stderr).toStartWith('error: cannot reach http://127.0.0.1:1 ')
})

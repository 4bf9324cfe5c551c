// `meso job` against a real master (its jobs scheduler, docs/jobs.md) and agent: create from a file, `run --wait`
// streaming the task's output and passing its exit code through, history, and a diamond pipeline whose failed
// branch skips the join, drawn by `job show`, then rerun `--from` the fixed step reusing what succeeded.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { meso, startAgent, startMaster, tempDir, type Daemon } from '../helpers/processes.ts'

const dir = tempDir('meso-jobs-cli-')
let master: Daemon
let agent: Daemon

beforeAll(async () => {
  master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
  agent = await startAgent(master.url, join(dir, 'agent'), ['--resources=cpus:4;mem:2048'])
})

afterAll(async () => {
  await agent?.kill().catch(() => {})
  await master?.kill().catch(() => {})
})

const job = (id: string, cmd: string, deps: string[] = []) => ({ id, ...(deps.length ? { dependencies: deps.map(d => ({ id: d })) } : {}), run: { cmd, cpus: 0.1, mem: 32, disk: 0 } })
const file = (name: string, value: unknown) => { const p = join(dir, name); writeFileSync(p, JSON.stringify(value)); return p }
const job$ = (...args: string[]) => meso(['job', ...args, `--master=${master.url}`], { timeoutMs: 90_000 })

describe('meso job with a real master and agent', () => {
  test('create, run --wait (the exit code passes through), history', async () => {
    const f = file('jobs.json', [
      job('greet', 'echo hello from a job; echo to stderr >&2'),
      job('fail-three', 'echo about to fail; exit 3'),
    ])
    expect(await job$('create', f)).toMatchObject({ code: 0, stdout: 'job greet created\njob fail-three created\n' })

    const ok = await job$('run', 'greet', '--wait')
    expect(ok.code).toBe(0)
    expect(ok.stdout).toBe('hello from a job\n')
    expect(ok.stderr).toContain('to stderr\n')

    const failed = await job$('run', 'fail-three', '--wait')
    expect(failed.code).toBe(3)
    expect(failed.stdout).toBe('about to fail\n')

    const h = await job$('history', 'fail-three')
    expect(h.code).toBe(0)
    expect(h.stdout).toMatch(/^job fail-three: 0 succeeded \(last -\), 1 failed \(last \d+s ago\)\n/)
    expect(h.stdout).toMatch(/\n\d{14}[a-z0-9]{5} +FAILED +/)
    const hj = JSON.parse((await job$('history', 'greet', '--json')).stdout)
    expect(hj).toMatchObject({ successCount: 1, failureCount: 0 })

    const list = await job$('list')
    expect(list.stdout.split('\n').find(l => l.startsWith('greet'))).toMatch(/^greet +- +- +- +SUCCESS +\d+s ago$/)
  }, 120_000)

  test('a diamond pipeline with one failing branch: run --wait, then job show draws it', async () => {
    const f = file('diamond.json', [
      job('checkout', 'echo checked out'),
      job('build-linux', 'echo linux built', ['checkout']),
      job('build-mac', 'echo mac broke; exit 4', ['checkout']),
      job('release', 'echo released', ['build-linux', 'build-mac']),
    ])
    expect((await job$('create', f)).code).toBe(0)
    const r = await job$('run', 'release', '--wait')
    expect(r.code).toBe(4)
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['[build-linux] linux built', '[build-mac] mac broke', '[checkout] checked out'])
    expect(r.stderr).toContain('step build-mac: FAILED\n')
    expect(r.stderr).toContain('step release: SKIPPED (build-mac failed)\n')

    const show = await job$('show', 'release')
    expect(show.code).toBe(0)
    expect(show.stdout).toContain(`
● checkout [SUCCESS]
├─┐
│ ● build-linux [SUCCESS]
● │ build-mac [FAILED]
├─┘
● release [SKIPPED] skipped: build-mac
`)
    const j = JSON.parse((await job$('show', 'release', '--json')).stdout)
    expect(j.pipelineRun.status).toBe('FAILED')

    // Fix the broken step and rerun from it: checkout and build-linux are reused, not run again.
    expect((await job$('create', '--replace', file('mac-fixed.json', job('build-mac', 'echo mac built', ['checkout'])))).code).toBe(0)
    const again = await job$('run', 'release', '--from', 'build-mac', '--wait')
    expect(again.code).toBe(0)
    expect(again.stdout.split('\n').filter(Boolean).sort()).toEqual(['[build-mac] mac built', '[release] released'])
    expect(again.stderr).toContain('step checkout: REUSED')
    expect(again.stderr).toContain('step build-linux: REUSED')
  }, 180_000)

  test('job stop with a pipeline run id stops the running step; its dependents are skipped', async () => {
    expect((await job$('create', file('slow.json', [job('slow-step', 'sleep 60'), job('after-slow', 'echo never', ['slow-step'])]))).code).toBe(0)
    const id = (await job$('run', 'after-slow')).stdout.trim()
    expect(id).toMatch(/^\d{14}[a-z0-9]{5}$/)
    // Wait until the step's task is running, so the stop kills a task rather than a run still waiting for an offer.
    for (let i = 0; i < 200; i++) {
      const p = JSON.parse((await job$('show', 'after-slow', '--json')).stdout).pipelineRun
      const step = p.steps.find((s: { jobId: string }) => s.jobId === 'slow-step')
      if (step.runId && JSON.parse((await job$('show', 'slow-step', '--json')).stdout).activeRuns?.[0]?.tasks?.[0]?.status === 'TASK_RUNNING') break
      await Bun.sleep(100)
    }
    const stop = await job$('stop', 'after-slow', id)
    expect(stop.code).toBe(0)
    expect(stop.stdout).toMatch(new RegExp(`^pipeline run ${id} of job after-slow stopped: step slow-step \\(run \\w+\\)\\n$`))
    let drawn = ''
    // The waiting step is skipped at once; the stopped one is FAILED once its task is gone.
    for (let i = 0; i < 150 && !/pipeline run \w+: FAILED/.test(drawn); i++) { drawn = (await job$('show', 'after-slow')).stdout; await Bun.sleep(100) }
    expect(drawn).toContain('● slow-step [FAILED]\n● after-slow [SKIPPED] skipped: slow-step')
  }, 120_000)
})

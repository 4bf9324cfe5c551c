// The jobs scheduler end to end (docs/jobs.md): a real master and agent; jobs created with the JSON a Metronome
// client sends, runs with their exit codes, history, a cron schedule firing within its minute (one real minute),
// FORBID, ON_FAILURE with a deadline, the diamond pipeline, Metronome's 422s, and a master restart that keeps it all.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

let dir: string
let master: Daemon
let agent: Daemon
const masterFlags = ['--allocation_interval=100ms', '--job_history_limit=5']

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${master.url}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}),
  })
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* not JSON */ }
  return { status: res.status, body: parsed }
}

/** Waits for a run to finish (GET …/runs/{id} keeps answering from the history once it has). */
async function finished(jobId: string, runId: string, timeoutMs = 30_000): Promise<any> {
  return waitFor(`run ${jobId}/${runId} to finish`, async () => {
    const r = await api('GET', `/v1/jobs/${jobId}/runs/${runId}`)
    return r.status === 200 && (r.body.status === 'SUCCESS' || r.body.status === 'FAILED') ? r.body : undefined
  }, timeoutMs, 200)
}

const jobsFrameworks = async () => ((await api('GET', '/master/frameworks')).body.frameworks as any[]).filter(f => f.name === 'meso-jobs')

beforeAll(async () => {
  dir = tempDir()
  master = await startMaster(join(dir, 'master'), masterFlags)
  agent = await startAgent(master.url, join(dir, 'agent'), ['--resources=cpus:4;mem:2048;disk:1024'])
  await waitFor('the agent', async () => (await api('GET', '/master/slaves')).body.slaves.length === 1)
  // No jobs yet: no jobs framework either (it subscribes with the first job).
  await Bun.sleep(500)
  expect(await jobsFrameworks()).toEqual([])
})

afterAll(async () => {
  await agent?.kill()
  await master?.kill()
})

describe('jobs', () => {
  test('a Metronome job: create, run, exit code, history', async () => {
    // As the dcos-metronome client posts it (its job_secrets example, without the secret).
    const job = {
      id: 'prod.hello', description: 'job example', labels: { owner: 'zeus' },
      run: { cpus: 0.1, mem: 32, disk: 0, cmd: 'echo "$GREETING from $MESOS_TASK_ID"', env: { GREETING: 'hello' }, maxLaunchDelay: 3600, restart: { policy: 'NEVER' } },
    }
    const created = await api('POST', '/v1/jobs', job)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ ...job, dependencies: [], schedules: [], run: { ...job.run, gpus: 0, artifacts: [], volumes: [], placement: { constraints: [] } } })
    const started = await api('POST', '/v1/jobs/prod.hello/runs')
    expect(started.status).toBe(201)
    expect(started.body).toMatchObject({ jobId: 'prod.hello', status: 'STARTING', completedAt: null, tasks: [] })
    expect(started.body.id).toMatch(/^\d{14}[a-z0-9]{5}$/)
    expect(started.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/)
    const run = await finished('prod.hello', started.body.id)
    expect(await jobsFrameworks()).toHaveLength(1)
    expect(run.status).toBe('SUCCESS')
    expect(run.exitCode).toBe(0)
    expect(run.tasks).toHaveLength(1)
    expect(run.tasks[0]).toMatchObject({ id: `prod.hello_${started.body.id}.1`, status: 'TASK_FINISHED' })

    await api('POST', '/v1/jobs', { id: 'exits', run: { cpus: 0.1, mem: 16, cmd: 'exit 3' } })
    const failed = await finished('exits', (await api('POST', '/v1/jobs/exits/runs')).body.id)
    expect(failed).toMatchObject({ status: 'FAILED', exitCode: 3 })

    const info = await api('GET', '/v1/jobs/prod.hello?embed=history&embed=activeRuns')
    expect(info.body.activeRuns).toEqual([])
    expect(info.body.history).toMatchObject({ successCount: 1, failureCount: 0, lastFailureAt: null, failedFinishedRuns: [] })
    expect(info.body.history.successfulFinishedRuns).toEqual([{ id: run.id, createdAt: run.createdAt, finishedAt: run.completedAt, tasks: [run.tasks[0].id] }])
    const list = await api('GET', '/v1/jobs?embed=historySummary')
    expect(list.body.map((j: any) => j.id)).toEqual(['exits', 'prod.hello'])
    expect(list.body[0].historySummary).toMatchObject({ successCount: 0, failureCount: 1 })
  }, 60_000)

  test("bad specs: Metronome's 422 with details, 404 and 409", async () => {
    const badCron = await api('POST', '/v1/jobs', { id: 'bad', run: { cmd: 'true' }, schedules: [{ id: 'x', cron: '61 * * * *' }] })
    expect(badCron.status).toBe(422)
    expect(badCron.body).toEqual({ message: 'Object is not valid', details: [{ path: '/schedules(0)/cron', errors: ['Can not read cron expression "61 * * * *": minute value 61 is outside 0-59'] }] })
    const badZone = await api('POST', '/v1/jobs', { id: 'bad', run: { cmd: 'true' }, schedules: [{ id: 'x', cron: '* * * * *', timezone: 'Mars/Olympus' }] })
    expect(badZone.status).toBe(422)
    expect(badZone.body.details).toEqual([{ path: '/schedules(0)/timezone', errors: ['No time zone found with this id: "Mars/Olympus"'] }])
    await api('POST', '/v1/jobs', { id: 'cyc.a', run: { cmd: 'true' } })
    await api('POST', '/v1/jobs', { id: 'cyc.b', dependencies: [{ id: 'cyc.a' }], run: { cmd: 'true' } })
    const cycle = await api('PUT', '/v1/jobs/cyc.a', { id: 'cyc.a', dependencies: [{ id: 'cyc.b' }], run: { cmd: 'true' } })
    expect(cycle.status).toBe(422)
    expect(cycle.body).toEqual({ message: 'Object is not valid', details: [{ path: '/dependencies', errors: ['Dependencies have a cycle: cyc.a -> cyc.b -> cyc.a'] }] })
    const unknown = await api('POST', '/v1/jobs', { id: 'orphan', dependencies: [{ id: 'nope' }], run: { cmd: 'true' } })
    expect(unknown.status).toBe(422)
    expect(unknown.body.details[0].errors).toEqual(['Dependencies contain unknown jobs. unknown=[nope]'])
    const badSchedule = await api('POST', '/v1/jobs/cyc.a/schedules', { id: 's', cron: '* * * *' })
    expect(badSchedule.status).toBe(422)
    expect(await api('GET', '/v1/jobs/nope')).toEqual({ status: 404, body: { id: 'nope', message: 'Job not found' } })
    expect((await api('POST', '/v1/jobs', { id: 'cyc.a', run: { cmd: 'true' } })).body).toEqual({ message: 'Job with this id already exists' })
    expect(await api('DELETE', '/v1/jobs/cyc.a')).toEqual({ status: 409, body: { message: 'There are jobs with a dependency on cyc.a. children=[cyc.b]' } })
    expect((await api('POST', '/v1/jobs', '{not json')).status).toBe(422)
  })

  test('ON_FAILURE restarts a failing task until activeDeadlineSeconds', async () => {
    await api('POST', '/v1/jobs', { id: 'flaky', run: { cpus: 0.1, mem: 16, cmd: 'exit 1', maxLaunchDelay: 1, restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 4 } } })
    const started = (await api('POST', '/v1/jobs/flaky/runs')).body
    const run = await finished('flaky', started.id, 30_000)
    expect(run.status).toBe('FAILED')
    expect(run.tasks.length).toBeGreaterThanOrEqual(3)
    expect(run.tasks.every((t: any) => t.status === 'TASK_FAILED')).toBe(true)
    expect(Date.parse(run.completedAt.replace('+0000', 'Z')) - Date.parse(run.createdAt.replace('+0000', 'Z'))).toBeGreaterThanOrEqual(4000)
    expect(run.failureReason).toContain('restart deadline of 4s')
  }, 60_000)

  test('the diamond pipeline: one branch fails, its dependent is skipped, the other branch finishes', async () => {
    await api('POST', '/v1/jobs', { id: 'etl.extract', run: { cpus: 0.1, mem: 16, cmd: 'true' } })
    await api('POST', '/v1/jobs', { id: 'etl.clean', dependencies: [{ id: 'etl.extract' }], run: { cpus: 0.1, mem: 16, cmd: 'exit 4' } })
    await api('POST', '/v1/jobs', { id: 'etl.stats', dependencies: [{ id: 'etl.extract' }], run: { cpus: 0.1, mem: 16, cmd: 'sleep 1' } })
    await api('POST', '/v1/jobs', { id: 'etl.load', dependencies: [{ id: 'etl.clean' }, { id: 'etl.stats' }], run: { cpus: 0.1, mem: 16, cmd: 'true' } })
    const started = await api('POST', '/v1/jobs/etl.load/runs')
    expect(started.status).toBe(201)
    expect(started.body.steps.map((s: any) => [s.jobId, s.status])).toEqual([['etl.extract', 'ACTIVE'], ['etl.clean', 'WAITING'], ['etl.stats', 'WAITING'], ['etl.load', 'WAITING']])
    const done = await waitFor('the pipeline run to end', async () => {
      const p = (await api('GET', `/v1/pipelines/etl.load/runs/${started.body.id}`)).body
      return p.status !== 'ACTIVE' ? p : undefined
    }, 30_000, 200)
    expect(done.status).toBe('FAILED')
    expect(done.steps.map((s: any) => [s.jobId, s.status, s.skippedBecause])).toEqual([
      ['etl.extract', 'SUCCESS', undefined], ['etl.clean', 'FAILED', undefined], ['etl.stats', 'SUCCESS', undefined], ['etl.load', 'SKIPPED', 'etl.clean'],
    ])
    const clean = done.steps[1]
    expect((await api('GET', `/v1/jobs/etl.clean/runs/${clean.runId}`)).body.exitCode).toBe(4)
    // Rerun from the failed step: extract and stats are reused, clean runs again (and fails again), load is skipped.
    const again = await api('POST', '/v1/jobs/etl.load/runs?from=etl.clean')
    expect(again.body.steps.map((s: any) => s.status)).toEqual(['REUSED', 'ACTIVE', 'REUSED', 'WAITING'])
    expect(again.body.steps[0].runId).toBe(done.steps[0].runId)
    const list = await waitFor('the rerun to end', async () => {
      const l = (await api('GET', '/v1/pipelines/etl.load/runs')).body
      return l[0].status !== 'ACTIVE' ? l : undefined
    }, 30_000, 200)
    expect(list.map((p: any) => p.id)).toEqual([again.body.id, started.body.id])
    expect(list[0].steps.map((s: any) => s.status)).toEqual(['REUSED', 'FAILED', 'REUSED', 'SKIPPED'])
    expect((await api('POST', '/v1/jobs/etl.load/runs?from=nope')).status).toBe(422)
  }, 90_000)

  test('a schedule every minute fires within its minute; FORBID skips while a run is active (one real minute)', async () => {
    await api('POST', '/v1/jobs', { id: 'tick', run: { cpus: 0.1, mem: 16, cmd: 'true' } })
    await api('POST', '/v1/jobs', { id: 'long', run: { cpus: 0.1, mem: 16, cmd: 'sleep 600' } })
    const manual = (await api('POST', '/v1/jobs/long/runs')).body
    await waitFor('the long run to be active', async () => (await api('GET', `/v1/jobs/long/runs/${manual.id}`)).body.status === 'ACTIVE', 20_000, 200)
    const tick = await api('POST', '/v1/jobs/tick/schedules', { id: 'every', cron: '* * * * *', timezone: 'Europe/Berlin', startingDeadlineSeconds: 30, concurrencyPolicy: 'ALLOW', enabled: true })
    expect(tick.status).toBe(201)
    const long = await api('POST', '/v1/jobs/long/schedules', { id: 'every', cron: '* * * * *', concurrencyPolicy: 'FORBID' })
    expect(long.status).toBe(201)
    const due = Date.parse(tick.body.nextRunAt.replace('+0000', 'Z'))
    expect(due % 60_000).toBe(0)
    expect(due - Date.now()).toBeLessThanOrEqual(60_000)
    expect(long.body.nextRunAt).toBe(tick.body.nextRunAt)
    const fired = await waitFor('the schedule to fire', async () => {
      const j = (await api('GET', '/v1/jobs/tick?embed=activeRuns&embed=history')).body
      return [...j.activeRuns, ...j.history.successfulFinishedRuns][0]
    }, due - Date.now() + 15_000, 200)
    const firedAt = Date.parse(fired.createdAt.replace('+0000', 'Z'))
    expect(firedAt).toBeGreaterThanOrEqual(due)
    expect(firedAt - due).toBeLessThan(3000)
    expect((await api('GET', '/v1/jobs/tick/schedules/every')).body.nextRunAt).toBe(new Date(due + 60_000).toISOString().replace('Z', '+0000'))
    // FORBID: the long job still has only its manual run, and the master says why.
    await Bun.sleep(1500)
    expect((await api('GET', '/v1/jobs/long/runs')).body.map((r: any) => r.id)).toEqual([manual.id])
    expect(master.log()).toContain('Job long: schedule every did not start the run due at')
    expect(master.log()).toContain('concurrencyPolicy FORBID and 1 run(s) active')
    await api('DELETE', '/v1/jobs/long/schedules/every')
  }, 120_000)

  test('a master restart keeps specs, history and active runs; the framework comes back as itself', async () => {
    const before = (await api('GET', '/v1/jobs/prod.hello?embed=history')).body.history
    const [fw] = await jobsFrameworks()
    const active = (await api('GET', '/v1/jobs/long/runs')).body
    expect(active).toHaveLength(1)
    const port = new URL(master.url).port
    await master.kill()
    master = await startMaster(join(dir, 'master'), [...masterFlags, `--port=${port}`])
    await waitFor('the agent and the jobs framework to come back', async () =>
      (await api('GET', '/master/slaves')).body.slaves.length === 1 && (await jobsFrameworks()).some(f => f.active), 30_000, 200)
    expect((await jobsFrameworks()).map(f => f.id)).toEqual([fw.id])
    expect((await api('GET', '/v1/jobs/prod.hello?embed=history')).body.history).toEqual(before)
    expect((await api('GET', '/v1/jobs')).body.map((j: any) => j.id)).toContain('etl.load')
    expect((await api('GET', '/v1/pipelines/etl.load/runs')).body).toHaveLength(2)
    const still = (await api('GET', '/v1/jobs/long/runs')).body
    expect(still.map((r: any) => [r.id, r.status])).toEqual([[active[0].id, 'ACTIVE']])
    // The run's task is still the one the agent kept running; stopping it kills it.
    const stopped = await api('POST', `/v1/jobs/long/runs/${active[0].id}/actions/stop`)
    expect(stopped.status).toBe(200)
    const run = await finished('long', active[0].id)
    expect(run).toMatchObject({ status: 'FAILED', failureReason: 'stopped' })
    expect(run.tasks[0].status).toBe('TASK_KILLED')
    // And new runs still work.
    const again = await finished('prod.hello', (await api('POST', '/v1/jobs/prod.hello/runs')).body.id)
    expect(again.status).toBe('SUCCESS')
    expect((await api('DELETE', '/v1/jobs/long')).status).toBe(200)
    expect((await api('GET', '/v1/jobs/long')).status).toBe(404)
  }, 90_000)
})

describe('jobs across a failover (--zk)', () => {
  test('the new leader has the jobs, the history and the active run, whose task finishes under it', async () => {
    const { startZooKeeper } = await import('../helpers/zookeeper.ts')
    const zk = await startZooKeeper({ nodes: 1 })
    const d = tempDir('meso-jobs-ha-')
    const zkUrl = zk.url('/mesos')
    const flags = [`--zk=${zkUrl}`, '--zk_session_timeout=1secs', '--allocation_interval=100ms', '--agent_reregister_timeout=20secs']
    const ms = [await startMaster(join(d, 'm0'), flags), await startMaster(join(d, 'm1'), flags)]
    const a = await startAgent(zkUrl, join(d, 'agent'), ['--resources=cpus:2;mem:1024;disk:64'])
    const leaderOf = async (list: Daemon[]) => {
      for (const m of list) {
        try { if ((await (await fetch(`${m.url}/metrics/snapshot`)).json() as Record<string, number>)['master/elected'] === 1) return m } catch { /* down */ }
      }
      return undefined
    }
    const call = async (m: Daemon, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${m.url}${path}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) })
      return res.json() as Promise<any>
    }
    try {
      const leader = await waitFor('a leader', () => leaderOf(ms))
      await waitFor('the agent', async () => (await call(leader, 'GET', '/master/slaves')).slaves.length === 1)
      await call(leader, 'POST', '/v1/jobs', { id: 'quick', run: { cmd: 'true', cpus: 0.1, mem: 16 } })
      const q = await call(leader, 'POST', '/v1/jobs/quick/runs')
      await waitFor('the quick run', async () => (await call(leader, 'GET', `/v1/jobs/quick/runs/${q.id}`)).status === 'SUCCESS', 20_000, 200)
      await call(leader, 'POST', '/v1/jobs', { id: 'slow', run: { cmd: 'sleep 4', cpus: 0.1, mem: 16 } })
      const s = await call(leader, 'POST', '/v1/jobs/slow/runs')
      await waitFor('the slow run to be active', async () => (await call(leader, 'GET', `/v1/jobs/slow/runs/${s.id}`)).status === 'ACTIVE', 20_000, 200)
      await leader.kill('SIGKILL')
      const standby = ms.find(m => m !== leader)!
      const next = await waitFor('the standby to lead', () => leaderOf([standby]), 30_000, 200)
      expect((await call(next, 'GET', '/v1/jobs/quick?embed=history')).history.successCount).toBe(1)
      expect((await call(next, 'GET', '/v1/jobs/slow/runs')).map((r: any) => r.id)).toEqual([s.id])
      const done = await waitFor('the slow run to finish under the new leader', async () => {
        const r = await call(next, 'GET', `/v1/jobs/slow/runs/${s.id}`)
        return r.status === 'SUCCESS' || r.status === 'FAILED' ? r : undefined
      }, 40_000, 250)
      expect(done.status).toBe('SUCCESS')
      expect(done.tasks).toHaveLength(1)
    } finally {
      await a.kill('SIGKILL').catch(() => {})
      for (const m of ms) await m.kill('SIGKILL').catch(() => {})
      await zk.stop()
    }
  }, 120_000)
})

describe('jobs with authentication on', () => {
  test('the API needs credentials (401); the jobs framework authenticates with its own and runs the job', async () => {
    const d = tempDir()
    const creds = join(d, 'credentials.json')
    await Bun.write(creds, JSON.stringify({ credentials: [{ principal: 'ops', secret: 'ops-secret' }] }))
    const m = await startMaster(join(d, 'master'), ['--allocation_interval=100ms', '--authenticate_http_readonly', '--authenticate_http_readwrite', '--authenticate_http_frameworks', `--credentials=${creds}`])
    const a = await startAgent(m.url, join(d, 'agent'), ['--resources=cpus:2;mem:1024;disk:64'])
    try {
      const auth = { Authorization: 'Basic ' + Buffer.from('ops:ops-secret').toString('base64'), 'Content-Type': 'application/json' }
      const anonymous = await fetch(`${m.url}/v1/jobs`, { method: 'POST', body: JSON.stringify({ id: 'x', run: { cmd: 'true' } }) })
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="mesos-master-readwrite"')
      expect((await fetch(`${m.url}/v1/jobs`)).status).toBe(401)
      expect((await fetch(`${m.url}/v1/jobs`, { method: 'POST', headers: auth, body: JSON.stringify({ id: 'secure', run: { cmd: 'true', cpus: 0.1, mem: 16 } }) })).status).toBe(201)
      const run = await (await fetch(`${m.url}/v1/jobs/secure/runs`, { method: 'POST', headers: auth })).json() as { id: string }
      const done = await waitFor('the run to finish', async () => {
        const r = await (await fetch(`${m.url}/v1/jobs/secure/runs/${run.id}`, { headers: auth })).json() as { status: string }
        return r.status === 'SUCCESS' || r.status === 'FAILED' ? r : undefined
      }, 30_000, 200)
      expect(done.status).toBe('SUCCESS')
      const fws = (await (await fetch(`${m.url}/master/frameworks`, { headers: auth })).json() as { frameworks: { name: string; principal?: string }[] }).frameworks
      expect(fws.find(f => f.name === 'meso-jobs')?.principal).toBe('meso-jobs')
    } finally {
      await a.kill()
      await m.kill()
    }
  }, 60_000)
})

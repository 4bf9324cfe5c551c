// /metrics/snapshot and GET /metrics against a real master and agent: after a task has run and finished, every key
// upstream docs/monitoring.md documents (less the exclusions in test/fixtures/mesos-metrics-keys.json, each with its
// reason) is there with a value that says what happened; the Prometheus text parses strictly and carries the same
// values; an agent restarted on its work dir reports how long its recovery took.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { parsePrometheus, type ParsedFamily } from '../core/metrics-prometheus-parser.ts'
import { missingKeys } from '../core/metrics-mesos-keys.ts'
import { prometheusName } from '../../src/core/metrics/prometheus.ts'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { busyboxRootfs, buildImage, pushImage } from '../helpers/image-fixtures.ts'
import { registryUnavailable, startRegistry, type RegistryProcess } from '../helpers/registries.ts'
import { TIMER_PERCENTILES } from '../../src/core/metrics/timer.ts'

const dir = tempDir('meso-metrics-')
let master: Daemon
let agent: Daemon
let sched: RawScheduler
let frameworkId = ''
const extra: { kill(): Promise<void> }[] = []

const snapshot = async (d: Daemon): Promise<Record<string, number>> => (await (await fetch(`${d.url}/metrics/snapshot`)).json()) as Record<string, number>

beforeAll(async () => {
  master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
  agent = await startAgent(master.url, join(dir, 'agent'), ['--resources=cpus:2;mem:512', '--registration_backoff_factor=100ms'])
  // A quota, so its per-role keys exist (upstream reports them only for roles with quota).
  const q = await fetch(`${master.url}/api/v1`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'UPDATE_QUOTA', update_quota: { force: true, quota_configs: [{ role: 'web', guarantees: { cpus: { value: 0.1 } } }] } }),
  })
  expect(q.status, await q.clone().text()).toBe(200)
  sched = new RawScheduler(master.url)
  await sched.subscribe(frameworkInfo('metrics test'))
  frameworkId = sched.frameworkId
  const offer = (await sched.next(e => e.type === 'OFFERS', 30_000)).offers.offers[0]
  const r = await sched.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('t1', offer.agent_id.value, 'echo done')] } }], filters: { refuse_seconds: 0 } } })
  expect(r.status).toBe(202)
  await sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 't1' && e.update.status.state === 'TASK_FINISHED', 60_000)
  // The acknowledgement is on its way (autoAck); the executor's end follows the task's.
  await waitFor('the executor to terminate', async () => (await snapshot(agent))['slave/executors_terminated'] === 1, 30_000)
}, 120_000)

afterAll(async () => {
  for (const e of extra) await e.kill().catch(() => {})
  sched?.close()
  await agent?.kill('SIGKILL').catch(() => {})
  await master?.kill('SIGKILL').catch(() => {})
})

describe('master', () => {
  test('every documented key that applies, with values from what happened', async () => {
    const m = await snapshot(master)
    expect(missingKeys(m, 'master')).toEqual([])
    expect(m['master/elected']).toBe(1)
    expect(m['master/tasks_finished']).toBe(1)
    expect(m['master/tasks_running']).toBe(0)
    // Ours and the master's built-in framework(s): one SUBSCRIBE each, none re-subscribed.
    expect(m['master/messages_register_framework']).toBe(m['master/frameworks_connected'])
    expect(m['master/messages_reregister_framework']).toBe(0)
    expect(m['master/messages_register_slave']).toBe(1)
    expect(m['master/messages_launch_tasks']).toBe(1)
    expect(m['master/messages_status_update']).toBeGreaterThanOrEqual(2) // RUNNING (STARTING) and FINISHED
    expect(m['master/messages_status_update_acknowledgement']).toBeGreaterThanOrEqual(2)
    expect(m['master/valid_status_updates']).toBeGreaterThanOrEqual(2)
    expect(m['allocator/mesos/allocation_runs']).toBeGreaterThan(0)
    expect(m['allocator/mesos/allocation_run_ms/count']).toBeGreaterThan(0)
    expect(m['allocator/mesos/allocation_run_latency_ms/count']).toBeGreaterThan(0)
    expect(m['registrar/state_store_ms/count']).toBeGreaterThan(0) // the agent's admission, the framework, the quota
    expect(m['registrar/state_fetch_ms']).toBeGreaterThanOrEqual(0)
    expect(m['master/task_finished/source_executor/reason_command_executor_failed']).toBe(1) // upstream's key for a reason-less status
    const fw = `master/frameworks/metrics%20test/${frameworkId}`
    expect(m[`${fw}/tasks/terminal/task_finished`]).toBe(1)
    expect(m[`${fw}/operations/launch`]).toBe(1)
    expect(m[`${fw}/calls/accept`]).toBe(1)
    expect(m[`${fw}/events/update`]).toBeGreaterThanOrEqual(2)
    expect(m['allocator/mesos/quota/roles/web/resources/cpus/guarantee']).toBeCloseTo(0.1, 9)
    expect(m['master/slaves_connected']).toBe(1)
    expect(m['master/event_queue_http_requests']).toBe(1) // the snapshot request itself
  })

  test('GET /metrics: Prometheus text, the same values, latency histograms', async () => {
    const [m, r] = await Promise.all([snapshot(master), fetch(`${master.url}/metrics`)])
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toStartWith('text/plain; version=0.0.4')
    const fams = parsePrometheus(await r.text())
    expectSameValues(m, fams)
    const run = fams.get('meso_allocator_mesos_allocation_run_seconds')!
    expect(run.type).toBe('histogram')
    expect(run.samples.find(s => s.name.endsWith('_count'))!.value).toBeGreaterThan(0)
    const launch = fams.get('meso_master_task_launch_latency_seconds')!
    expect(launch.type).toBe('histogram')
    expect(launch.samples.find(s => s.name.endsWith('_count'))!.value).toBe(1)
    expect(fams.get('meso_master_tasks_finished')!.type).toBe('counter')
    expect(fams.get('meso_master_tasks_running')!.type).toBe('gauge')
    expect(fams.get('meso_registrar_state_store_ms')!.type).toBe('summary')
  })
})

describe('agent', () => {
  test('every documented key that applies, with values from what happened', async () => {
    const a = await snapshot(agent)
    // The image pull timer is declared by the Docker image provisioner, which only an agent with the linux launcher
    // has (test/e2e/images.test.ts runs those); this one uses the posix launcher.
    expect(missingKeys(a, 'agent', { skip: k => k.startsWith('containerizer/mesos/provisioner/') })).toEqual([])
    expect(Object.keys(a).some(k => k.startsWith('containerizer/mesos/provisioner/'))).toBe(false)
    expect(a['slave/registered']).toBe(1)
    expect(a['slave/tasks_finished']).toBe(1)
    expect(a['slave/tasks_running']).toBe(0)
    expect(a['slave/executors_terminated']).toBe(1)
    expect(a['slave/valid_status_updates']).toBeGreaterThanOrEqual(2)
    expect(a['slave/container_launch_errors']).toBe(0)
    expect(a['slave/recovery_time_secs']).toBeGreaterThanOrEqual(0)
    expect(a['gc/path_removals_pending']).toBe(1) // the finished executor's sandbox, kept for --gc_delay
    expect(a['slave/executor_directory_max_allowed_age_secs']).toBeGreaterThan(0)
    expect(a['slave/cpus_total']).toBe(2)
  })

  test('GET /metrics: the same values; one container launch in the launch histogram', async () => {
    const [a, r] = await Promise.all([snapshot(agent), fetch(`${agent.url}/metrics`)])
    expect(r.status).toBe(200)
    const fams = parsePrometheus(await r.text())
    expectSameValues(a, fams)
    const launch = fams.get('meso_containerizer_mesos_container_launch_seconds')!
    expect(launch.samples.find(s => s.name.endsWith('_count'))!.value).toBe(1)
  })

  test('a restarted agent reports its recovery time and re-registers (counted by the master)', async () => {
    await agent.kill('SIGKILL')
    agent = await startAgent(master.url, join(dir, 'agent'), ['--resources=cpus:2;mem:512', '--registration_backoff_factor=100ms'])
    await waitFor('the agent to re-register', async () => (await snapshot(agent))['slave/registered'] === 1, 30_000)
    const a = await snapshot(agent)
    expect(a['slave/recovery_time_secs']).toBeGreaterThan(0)
    expect(a['slave/recovery_time_secs']).toBeLessThan(30)
    const m = await snapshot(master)
    expect(m['master/messages_reregister_slave']).toBeGreaterThanOrEqual(1)
    expect(m['master/slave_reregistrations']).toBeGreaterThanOrEqual(1)
  }, 60_000)
})

const imageProblem = linuxLauncherUnavailable({}) ?? registryUnavailable() ?? (Bun.which('busybox') ? undefined : 'busybox-static is not installed')
if (imageProblem) console.warn(`\n*** SKIPPING the image pull metrics test: ${imageProblem} ***\n`)

;(imageProblem ? describe.skip : describe)('image pulls (linux launcher, a registry on loopback)', () => {
  test('containerizer/mesos/provisioner/docker_store/image_pull_ms times the pull', async () => {
    const storage = join(dir, 'registry-storage')
    const reg: RegistryProcess = await startRegistry(join(dir, 'registry'), storage)
    extra.push({ kill: () => reg.stop() })
    await pushImage(reg.url, 'meso/busybox', '1', buildImage([busyboxRootfs(join(dir, 'rootfs'))]))
    const linux = await startAgent(master.url, join(dir, 'agent-linux'), ['--launcher=linux', '--resources=cpus:1;mem:256', `--docker_registry_insecure=${reg.host}`, '--registration_backoff_factor=100ms'])
    extra.push({ kill: () => linux.kill('SIGKILL') })
    await waitFor('the linux agent to register', async () => (await snapshot(linux))['slave/registered'] === 1, 30_000)
    const before = await snapshot(linux)
    expect(before['containerizer/mesos/provisioner/docker_store/image_pull_ms/count']).toBe(0)
    expect(missingKeys(before, 'agent')).toEqual([])
    const agentId = (await (await fetch(`${linux.url}/state`)).json() as { id: string }).id
    const ofAgent = (e: any) => (e.offers.offers as { agent_id: { value: string } }[]).find(o => o.agent_id.value === agentId)
    const offer = ofAgent(await sched.next(e => e.type === 'OFFERS' && !!ofAgent(e), 30_000)) as any
    const task = { ...commandTask('img', agentId, 'true'), container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: `${reg.host}/meso/busybox:1` } } } } }
    const r = await sched.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }] } })
    expect(r.status).toBe(202)
    const end = await sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'img' && ['TASK_FINISHED', 'TASK_FAILED'].includes(e.update.status.state), 90_000)
    expect(end.update.status.state).toBe('TASK_FINISHED')
    const after = await snapshot(linux)
    expect(after['containerizer/mesos/provisioner/docker_store/image_pull_ms/count']).toBe(1)
    expect(after['containerizer/mesos/provisioner/docker_store/image_pull_ms']).toBeGreaterThan(0)
    expect(after['containerizer/mesos/provisioner/docker_store/image_pull_ms/max']).toBe(after['containerizer/mesos/provisioner/docker_store/image_pull_ms'])
  }, 150_000)
})

/** Values that move between two reads (clocks, the host, the requests themselves). */
const MOVING = /^(master\/uptime_secs|slave\/uptime_secs|system\/|master\/event_queue_http_requests|slave\/executor_directory_max_allowed_age_secs|allocator\/mesos\/allocation_run)/

/** Every snapshot key (timers aside, which are summaries) is a Prometheus series with the same value. */
function expectSameValues(snap: Record<string, number>, fams: Map<string, ParsedFamily>) {
  const timers = new Set(Object.keys(snap).filter(k => k.endsWith('/p9999')).map(k => k.slice(0, -'/p9999'.length)))
  const timerKey = (k: string) => timers.has(k) || [...timers].some(t => k.startsWith(`${t}/`) && ['count', 'min', 'max', ...TIMER_PERCENTILES.map(([p]) => p)].includes(k.slice(t.length + 1)))
  const mismatches: string[] = []
  for (const [key, value] of Object.entries(snap)) {
    if (timerKey(key)) continue
    const { name, labels } = prometheusName(key)
    const f = fams.get(name)
    const sample = f?.samples.find(s => s.name === name && labels.every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === labels.length)
    if (!sample) { mismatches.push(`${key}: no series ${name}`); continue }
    if (!MOVING.test(key) && sample.value !== value) mismatches.push(`${key}: ${value} in the snapshot, ${sample.value} in /metrics`)
  }
  for (const t of timers) {
    const f = fams.get(prometheusName(t).name)
    if (f?.type !== 'summary') mismatches.push(`${t}: not a summary`)
    else if (!MOVING.test(t) && snap[`${t}/count`]! > 0 && f.samples.find(s => s.labels.quantile === '0.5')!.value !== snap[`${t}/p50`]) mismatches.push(`${t}: p50 differs`)
  }
  expect(mismatches).toEqual([])
}

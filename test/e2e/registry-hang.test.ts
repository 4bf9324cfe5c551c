// A registry that accepts TCP and never answers (docs/security-files.md, pull timeouts): a task whose image comes from
// it fails after --fetcher_stall_timeout with TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED and a message naming the
// registry and the timeout, instead of staying in TASK_STARTING forever; and a task killed while its image is being
// pulled ends at once (TASK_KILLED, REASON_TASK_KILLED_DURING_LAUNCH), its pull's connection closed.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { startHungRegistry, type HungRegistry } from '../helpers/hung-registry.ts'
import { startOneAgentCluster, type OneAgentCluster } from '../helpers/one-agent-cluster.ts'
import { tempDir, waitFor } from '../helpers/processes.ts'
import { commandTask } from '../helpers/raw-scheduler.ts'

const problem = linuxLauncherUnavailable({})
if (problem) console.warn(`\n*** SKIPPING registry hang e2e: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

const STALL_SECS = 4
let cluster: OneAgentCluster, registry: HungRegistry

/** Launches one task whose image is on the hung registry; resolves once it is TASK_STARTING. */
async function launch(id: string) {
  const image = { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: `${registry.host}/meso/busybox:1` } } } }
  await cluster.launch(agentId => [{ ...commandTask(id, agentId, 'true'), container: image }])
  await cluster.sched.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === id && e.update.status.state === 'TASK_STARTING', 30_000)
}

suite('a registry that never answers', () => {
  beforeAll(async () => {
    registry = await startHungRegistry()
    cluster = await startOneAgentCluster(tempDir('meso-registry-hang-'), ['--launcher=linux', '--resources=cpus:2;mem:1024', `--docker_registry_insecure=${registry.host}`, `--fetcher_stall_timeout=${STALL_SECS}secs`], 'hung-registry')
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
    await registry?.stop()
  })

  test('the pull times out: TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED, naming the registry and the timeout', async () => {
    const started = performance.now()
    await launch('stalled')
    const f = (await cluster.terminal('stalled', 30_000)).update.status
    const secs = (performance.now() - started) / 1000
    console.log(`failed after ${secs.toFixed(1)}s: ${f.message}`)
    expect(f).toMatchObject({ state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED' })
    expect(f.message).toContain(`registry ${registry.host} did not answer`)
    expect(f.message).toContain(`within ${STALL_SECS}secs (--fetcher_stall_timeout)`)
    expect(secs).toBeGreaterThanOrEqual(STALL_SECS - 0.5)
    expect(secs).toBeLessThan(STALL_SECS + 10)
    await waitFor('the registry connection to close', () => registry.open() === 0, 5000)
  }, 60_000)

  test('a kill during the pull ends the task at once and abandons the pull', async () => {
    const accepted = registry.accepted()
    await launch('killed')
    await waitFor('the pull to reach the registry', () => registry.accepted() > accepted, 10_000)
    const t0 = performance.now()
    await cluster.sched.call('KILL', { kill: { task_id: { value: 'killed' } } })
    const k = (await cluster.terminal('killed', 10_000)).update.status
    const ms = performance.now() - t0
    console.log(`killed after ${ms.toFixed(0)}ms: ${k.state} ${k.reason} ${k.message}`)
    expect(k).toMatchObject({ state: 'TASK_KILLED', reason: 'REASON_TASK_KILLED_DURING_LAUNCH' })
    expect(ms).toBeLessThan(STALL_SECS * 1000 / 2)
    await waitFor('the pull\'s connection to close', () => registry.open() === 0, 2000)
  }, 60_000)
})

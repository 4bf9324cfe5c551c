// An agent killed with -9 comes back with the same id and re-adopts its running tasks; exits and kills that
// happened while it was down are reported with their true outcome; a silent agent becomes unreachable.

import { afterAll, describe, expect, test } from 'bun:test'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { startAgent, startMaster, tempDir, type Daemon } from '../helpers/processes.ts'
import { recoveryScenario } from '../helpers/recovery.ts'

const daemons: Daemon[] = []
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

describe('posix launcher', () => {
  test('kill -9 of the agent: same id, same pids, exits and kills while down reported once', async () => {
    await recoveryScenario(['--launcher=posix'], 5, daemons)
  })
})

describe('unreachable agents', () => {
  test('an agent that stops answering pings becomes unreachable; its tasks come back when it does', async () => {
    const dir = tempDir()
    const master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms', '--agent_ping_timeout=200ms', '--max_agent_ping_timeouts=2'])
    daemons.push(master)
    const agent = await startAgent(master.url, `${dir}/agent`, ['--resources=cpus:1;mem:256', '--registration_backoff_factor=100ms'])
    daemons.push(agent)
    const pa = new RawScheduler(master.url)
    await pa.subscribe(frameworkInfo('partition-aware'))
    const o = (await pa.next(e => e.type === 'OFFERS')).offers.offers[0]
    await pa.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [commandTask('p1', o.agent_id.value, 'sleep 300')] } }] } })
    await pa.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_RUNNING')
    agent.proc.kill('SIGSTOP')
    const unreachable = await pa.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_UNREACHABLE', 15_000)
    expect(unreachable.update.status).toMatchObject({ reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER' })
    expect(unreachable.update.status.unreachable_time.nanoseconds).toBeGreaterThan(0)
    await pa.next(e => e.type === 'FAILURE' && e.failure.agent_id.value === o.agent_id.value)
    const m = (await (await fetch(`${master.url}/metrics/snapshot`)).json()) as any
    expect(m['master/slaves_unreachable']).toBe(1)
    agent.proc.kill('SIGCONT')
    const back = await pa.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'p1' && e.update.status.reason === 'REASON_AGENT_REREGISTERED', 20_000)
    expect(back.update.status.state).toBe('TASK_RUNNING')
    await pa.call('TEARDOWN')
    pa.close()
  })
})

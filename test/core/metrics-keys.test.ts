// The master's /metrics/snapshot against the keys Mesos documents (test/fixtures/mesos-metrics-keys.json), and the
// counters master.ts and agents.ts feed, without sockets (MasterHarness). The agent's keys and the counters fed
// by the runtime are checked against real processes in test/e2e/metrics.test.ts.

import { describe, expect, test } from 'bun:test'
import { processMetrics } from '../../src/core/metrics/registry.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { masterMetrics, masterPrometheus, standbyPrometheus } from '../../src/master/metrics-snapshot.ts'
import { parsePrometheus } from './metrics-prometheus-parser.ts'
import { v0EnumName } from '../../src/master/metrics.ts'
import { Registrar } from '../../src/master/registrar.ts'
import { MESOS_KEYS, missingKeys } from './metrics-mesos-keys.ts'

function cluster() {
  processMetrics.clear()
  const registrar = Registrar.open(undefined) // declares the registrar's keys, as the daemon's does
  registrar.snapshot()
  registrar.write([{ op: 'putWeights', weights: { web: 2 } }])
  const h = new MasterHarness()
  const { agent } = h.registerAgent('cpus:4;mem:4096')
  const { framework: fw } = h.subscribe({ name: 'my framework', roles: ['web'], capabilities: [{ type: 'MULTI_ROLE' }] })
  h.master.updateQuotas([{ role: 'web', quota: { guarantees: new Map([['cpus', 1]]), limits: new Map() } }])
  h.allocate()
  const offer = h.offersFor(fw)[0]!
  h.launch(fw, offer, [{}])
  h.status(agent, fw, 'task-0', 'TASK_RUNNING', 'u1')
  h.master.acknowledge(fw, agent.id, 'task-0', 'u1')
  h.status(agent, fw, 'task-0', 'TASK_FINISHED', 'u2')
  h.master.acknowledge(fw, agent.id, 'task-0', 'u2')
  h.allocate()
  return { h, fw, agent, registrar }
}

describe('master /metrics/snapshot keys', () => {
  test('every key of upstream docs/monitoring.md that applies to the master is there', () => {
    const { h, registrar } = cluster()
    const snap = masterMetrics(h.state, 0)
    expect(missingKeys(snap, 'master')).toEqual([])
    registrar.close()
  })

  test('the fixture says why each excluded key does not apply', () => {
    for (const [key, why] of Object.entries({ ...MESOS_KEYS.excluded, ...MESOS_KEYS.pending })) {
      expect(why.length, key).toBeGreaterThan(20)
      expect([...MESOS_KEYS.master, ...MESOS_KEYS.agent].some(k => k.key === key), key).toBe(true)
    }
  })
})

describe('master counters', () => {
  test('messages, allocation runs, framework operations, launch latency', () => {
    const { h, fw, registrar } = cluster()
    const snap = masterMetrics(h.state, 0)
    expect(snap['master/messages_register_framework']).toBe(1)
    expect(snap['master/messages_register_slave']).toBe(1)
    expect(snap['master/messages_launch_tasks']).toBe(1)
    expect(snap['master/messages_status_update']).toBe(2)
    expect(snap['master/messages_status_update_acknowledgement']).toBe(2)
    expect(snap['allocator/mesos/allocation_runs']).toBe(2)
    expect(snap['allocator/mesos/allocation_run_ms/count']).toBe(2)
    expect(snap['master/tasks_finished']).toBe(1)
    expect(snap['master/tasks_running']).toBe(0)
    const base = `master/frameworks/my%20framework/${fw.id}`
    expect(snap[`${base}/operations/launch`]).toBe(1)
    expect(snap[`${base}/operations`]).toBe(1)
    expect(snap[`${base}/tasks/active/task_running`]).toBe(0)
    expect(snap['allocator/mesos/quota/roles/web/resources/cpus/guarantee']).toBe(1)
    expect(snap['registrar/state_store_ms/count']).toBe(1)
    expect(h.state.metrics.taskLaunchLatency.count).toBe(1)
    registrar.close()
  })

  test('framework and executor messages are valid or invalid by the agent and framework they name', () => {
    const { h, fw, agent, registrar } = cluster()
    h.master.message(fw, agent.id, 'exec', 'aGk=')
    h.master.message(fw, 'no-such-agent', 'exec', 'aGk=')
    h.master.fromAgent(agent, { type: 'EXECUTOR_MESSAGE', framework_id: fw.id, executor_id: 'exec', data: 'aGk=' })
    h.master.fromAgent(agent, { type: 'EXECUTOR_MESSAGE', framework_id: 'gone', executor_id: 'exec', data: 'aGk=' })
    const snap = masterMetrics(h.state, 0)
    expect(snap['master/messages_framework_to_executor']).toBe(2)
    expect(snap['master/valid_framework_to_executor_messages']).toBe(1)
    expect(snap['master/invalid_framework_to_executor_messages']).toBe(1)
    expect(snap['master/messages_executor_to_framework']).toBe(2)
    expect(snap['master/valid_executor_to_framework_messages']).toBe(1)
    expect(snap['master/invalid_executor_to_framework_messages']).toBe(1)
    registrar.close()
  })

  test('an agent that misses its pings: a removal, reason unhealthy, scheduled and completed', () => {
    const h = new MasterHarness({ flags: { agent_ping_timeout: '1secs', max_agent_ping_timeouts: 2 } })
    h.registerAgent()
    h.master.start()
    h.advance(4000)
    const snap = masterMetrics(h.state, 0)
    expect(snap['master/slaves_unreachable']).toBe(1)
    expect(snap['master/slave_removals']).toBe(1)
    expect(snap['master/slave_removals/reason_unhealthy']).toBe(1)
    expect(snap['master/slave_unreachable_scheduled']).toBe(1)
    expect(snap['master/slave_unreachable_completed']).toBe(1)
    expect(snap['master/recovery_slave_removals']).toBe(0)
  })

  test('mesos.v1 reason names map to the v0 names the keys use', () => {
    expect(v0EnumName('REASON_AGENT_REMOVED')).toBe('REASON_SLAVE_REMOVED')
    expect(v0EnumName('SOURCE_AGENT')).toBe('SOURCE_SLAVE')
  })
})

describe('master GET /metrics', () => {
  test('the leader: the snapshot in Prometheus text; a standby: not elected, its own uptime', async () => {
    const { h, registrar } = cluster()
    const leader = masterPrometheus(h.state, { subscribers: 0 })
    expect(leader.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const fams = parsePrometheus(await leader.text())
    expect(fams.get('meso_master_elected')!.samples[0]!.value).toBe(1)
    expect(fams.get('meso_master_tasks_finished')).toMatchObject({ type: 'counter', samples: [{ value: 1 }] })
    const standby = parsePrometheus(await standbyPrometheus(Date.now() - 5000).text())
    expect(standby.get('meso_master_elected')!.samples[0]!.value).toBe(0)
    expect(standby.get('meso_master_uptime_secs')!.samples[0]!.value).toBeGreaterThanOrEqual(5)
    expect(standby.size).toBe(2)
    registrar.close()
  })
})

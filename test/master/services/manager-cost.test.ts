// What keeps the services scheduler cheap per task without changing what it decides: an app's tasks stay in staged
// order (oldest first, then by task id) through status updates, kills, ends and a recovery from the store, without
// re-sorting; a remembered rollout decision still follows the clock while a task is unreachable; and a deployment
// of many apps, the launches from one OFFERS event, a burst of status updates and a tick are each one registrar
// write.

import { describe, expect, test } from 'bun:test'
import type { Offer, TaskInfo, TaskStatus } from '../../../src/core/v1/messages.ts'
import { KvArea } from '../../../src/master/builtin-frameworks/store.ts'
import type { RegistrarOp } from '../../../src/master/outbox.ts'
import { ServiceEvents } from '../../../src/master/services/event-stream.ts'
import { ServiceManager } from '../../../src/master/services/service-manager.ts'

let clock = Date.parse('2026-01-01T00:00:00Z')
let n = 0
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`

/** A store that keeps its records like the registrar (for a recovery) and counts the writes. */
function setup(records: { namespace: string; key: string; value: string }[] = []) {
  const writes: RegistrarOp[][] = []
  const write = (ops: RegistrarOp[]) => {
    writes.push(ops)
    for (const op of ops) {
      if (op.op !== 'putKv' && op.op !== 'removeKv') continue
      const i = records.findIndex(r => r.namespace === op.namespace && r.key === op.key)
      if (i >= 0) records.splice(i, 1)
      if (op.op === 'putKv') records.push({ namespace: op.namespace, key: op.key, value: op.value })
    }
  }
  const kv = new KvArea(records, write)
  const m = new ServiceManager(kv.namespace('services'), new ServiceEvents(), { now: () => clock, uuid })
  m.killer = { kill: () => {} }
  return { m, kv, writes, records }
}

const offer = (host: string, cpus = 1): Offer => ({
  id: { value: `o-${host}-${++n}` }, framework_id: { value: 'f' }, agent_id: { value: `agent-${host}` }, hostname: host,
  resources: [
    { name: 'cpus', type: 'SCALAR', scalar: { value: cpus } }, { name: 'mem', type: 'SCALAR', scalar: { value: 1024 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31099 }] } },
  ],
})

const status = (t: TaskInfo | string, state: string): TaskStatus =>
  ({ task_id: { value: typeof t === 'string' ? t : t.task_id.value }, state, agent_id: { value: 'x' } } as TaskStatus)

const ids = (m: ServiceManager, app: string) => m.instancesOf(app).map(i => i.taskId)

describe('task order', () => {
  test('oldest first through updates, kills, ends and a recovery', () => {
    const { m, records } = setup()
    m.createApp({ id: '/o', cmd: 'x', instances: 5, cpus: 0.1, mem: 16 }, false)
    const staged: string[] = []
    for (const host of ['a', 'b', 'c']) {
      clock += 1000
      for (const t of m.matchOffer(offer(host, host === 'a' ? 0.2 : 0.15))) staged.push(t.task_id.value)
    }
    expect(staged).toHaveLength(4)
    // Two launched in the same millisecond: ordered by task id.
    expect(ids(m, '/o')).toEqual([...staged.slice(0, 2).sort(), ...staged.slice(2)])
    const order = ids(m, '/o')
    for (const t of [...order].reverse()) m.taskStatus(status(t, 'TASK_RUNNING'))
    expect(ids(m, '/o')).toEqual(order)
    m.killTasks([order[1]!], { scale: false, force: false })
    expect(ids(m, '/o')).toEqual(order)
    m.taskStatus(status(order[1]!, 'TASK_KILLED'))
    expect(ids(m, '/o')).toEqual(order.filter((_, i) => i !== 1))
    // The copy handed out is the caller's to change.
    m.instancesOf('/o').reverse()
    expect(ids(m, '/o')).toEqual(order.filter((_, i) => i !== 1))
    const again = setup(records)
    expect(ids(again.m, '/o')).toEqual(order.filter((_, i) => i !== 1))
    // A scale-down kills the youngest first (the app's default killSelection).
    const down = again.m.putApp('/o', { instances: 1 }, { force: true, partial: true })
    expect(down.created).toBe(false)
    expect(again.m.instancesOf('/o').filter(i => i.killRequested).map(i => i.taskId)).toEqual(order.slice(2))
  })
})

describe('remembered decisions', () => {
  test('an unreachable task is replaced once inactive, though nothing but the clock changed', () => {
    const { m } = setup()
    m.createApp({ id: '/u', cmd: 'x', instances: 1, cpus: 0.1, mem: 16, unreachableStrategy: { inactiveAfterSeconds: 60, expungeAfterSeconds: 600 } }, false)
    const [t] = m.matchOffer(offer('a'))
    m.taskStatus(status(t!, 'TASK_RUNNING'))
    const app = m.getApp('/u')
    expect(m.decide(app).launch).toBe(0)
    m.taskStatus(status(t!, 'TASK_UNREACHABLE'))
    clock += 30_000
    expect(m.decide(app).launch).toBe(0)
    clock += 31_000
    expect(m.decide(app).launch).toBe(1)
    clock += 600_000
    expect(m.decide(app).expunge.map(i => i.taskId)).toEqual([t!.task_id.value])
  })
})

describe('registrar writes', () => {
  test('a group of many apps, one OFFERS event, a burst of updates and a tick: one write each', () => {
    const { m, kv, writes } = setup()
    m.putApps(Array.from({ length: 50 }, (_, i) => ({ id: `/g/app-${i}`, cmd: 'x', instances: 1, cpus: 0.1, mem: 16 })), { force: false, partial: false })
    expect(writes).toHaveLength(1)
    const launches = m.matchOffers([offer('a'), offer('b'), offer('c'), offer('d'), offer('e')])
    expect(writes).toHaveLength(2)
    const tasks = launches.flat()
    expect(tasks).toHaveLength(50)
    expect(new Set(tasks.map(t => t.agent_id.value)).size).toBe(5)
    // The host hands a burst of updates to the framework inside one batch of the area (through its own namespace).
    kv.namespace('services-framework').batch(() => { for (const t of tasks) m.taskStatus(status(t, 'TASK_RUNNING')) })
    expect(writes).toHaveLength(3)
    m.tick()
    // The deployment finished: its records removed in one write.
    expect(m.deployments.size).toBe(0)
    expect(writes).toHaveLength(4)
  })
})

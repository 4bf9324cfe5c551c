// The jobs framework on a recording driver (what builtin-frameworks/host.ts would send to the master): the launches
// of one OFFERS event are recorded in one registrar transaction before any answer goes out, each offer is answered
// (ACCEPT with its tasks, or DECLINE), offers are suppressed once no run waits and revived when one does; kills
// carry the grace period; a reconciliation answer of TASK_LOST right after subscribing is not taken as the task's end.

import { afterEach, describe, expect, test } from 'bun:test'
import type { Offer } from '../../../src/core/v1/messages.ts'
import type { SchedulerDriver } from '../../../src/master/builtin-frameworks/host.ts'
import { KILL_RETRY_MS } from '../../../src/master/builtin-frameworks/offer-driven-framework.ts'
import { KvArea } from '../../../src/master/builtin-frameworks/store.ts'
import type { RegistrarOp } from '../../../src/master/outbox.ts'
import { JobsFramework } from '../../../src/master/jobs/jobs-framework.ts'
import { parseJobSpec } from '../../../src/master/jobs/job-spec.ts'
import { JobsService } from '../../../src/master/jobs/jobs-service.ts'

const frameworks: JobsFramework[] = []
afterEach(() => { for (const f of frameworks.splice(0)) f.stop() })

function setup() {
  const transactions: RegistrarOp[][] = []
  const service = new JobsService(new KvArea([], ops => transactions.push(ops)).namespace('jobs'), { historyLimit: 10 })
  const framework = new JobsFramework(service, undefined, 60_000)
  frameworks.push(framework)
  const calls: { type: string; body: any; writesBefore: number }[] = []
  const driver: SchedulerDriver = {
    frameworkId: 'fw-1',
    call: async (type, body) => { calls.push({ type, body, writesBefore: transactions.length }) },
  }
  return { service, framework, driver, calls, transactions }
}

const offer = (id: string, cpus: number): Offer => ({
  id: { value: id }, framework_id: { value: 'fw-1' }, agent_id: { value: `agent-${id}` }, hostname: `host-${id}`,
  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: cpus } }, { name: 'mem', type: 'SCALAR', scalar: { value: 1024 } }],
} as Offer)

describe('jobs framework', () => {
  test('the launches of one OFFERS event: one transaction, then an answer per offer; suppressed once nothing waits', async () => {
    const { service, framework, driver, calls, transactions } = setup()
    for (const id of ['a', 'b']) { service.createJob(parseJobSpec({ id, run: { cmd: 'true', cpus: 1, mem: 32 } })); service.startRun(id) }
    await framework.onSubscribed(driver)
    calls.length = 0
    const before = transactions.length
    await framework.onEvent({ type: 'OFFERS', offers: { offers: [offer('o1', 1), offer('o2', 1), offer('o3', 1)] } }, driver)
    expect(transactions.length).toBe(before + 1)
    const answers = calls.filter(c => c.type === 'ACCEPT' || c.type === 'DECLINE')
    expect(answers.map(c => c.type)).toEqual(['ACCEPT', 'ACCEPT', 'DECLINE'])
    expect(answers.every(c => c.writesBefore === before + 1)).toBe(true)
    const launched = answers.slice(0, 2).map(c => c.body.accept.operations[0].launch.task_infos.map((t: any) => t.task_id.value)).flat()
    expect(launched).toHaveLength(2)
    expect(answers[0]!.body.accept.filters).toEqual({ refuse_seconds: 5 })
    expect(answers[2]!.body).toEqual({ decline: { offer_ids: [{ value: 'o3' }], filters: { refuse_seconds: 5 } } })
    expect(calls.at(-1)!.type).toBe('SUPPRESS')
    // A new run revives the offers.
    service.createJob(parseJobSpec({ id: 'c', run: { cmd: 'true', cpus: 1, mem: 32 } }))
    service.startRun('c')
    expect(calls.at(-1)!.type).toBe('REVIVE')
  })

  test('kills carry the grace period; not subscribed, they wait for reconciliation', async () => {
    const { framework, driver, calls, service } = setup()
    service.killer.kill('t1', 'agent-1', 3)
    expect(calls).toEqual([])
    await framework.onSubscribed(driver)
    service.killer.kill('t1', 'agent-1', 3)
    expect(calls.at(-1)!.body).toEqual({ kill: { task_id: { value: 't1' }, agent_id: { value: 'agent-1' }, kill_policy: { grace_period: { nanoseconds: 3e9 } } } })
    framework.onDisconnected()
    expect(framework.subscribed).toBe(false)
  })

  test('a kill with no terminal update goes out again on re-subscription and every KILL_RETRY_MS, until the task ends', async () => {
    const { service, framework, driver, calls } = setup()
    service.createJob(parseJobSpec({ id: 'k', run: { cmd: 'sleep 100', cpus: 1, mem: 32, taskKillGracePeriodSeconds: 2 } }))
    const run = service.startRun('k')
    await framework.onSubscribed(driver)
    await framework.onEvent({ type: 'OFFERS', offers: { offers: [offer('o1', 1)] } }, driver)
    const taskId = calls.find(c => c.type === 'ACCEPT')!.body.accept.operations[0].launch.task_infos[0].task_id.value
    const update = (state: string) => framework.onEvent({ type: 'UPDATE', update: { status: { task_id: { value: taskId }, agent_id: { value: 'agent-o1' }, state } as any } }, driver)
    await update('TASK_RUNNING')
    service.stopRun('k', run.id)
    const kills = () => calls.filter(c => c.type === 'KILL').map(c => c.body.kill)
    const kill = { task_id: { value: taskId }, agent_id: { value: 'agent-o1' }, kill_policy: { grace_period: { nanoseconds: 2e9 } } }
    expect(kills()).toEqual([kill])
    // Not yet: the last sending (the subscription) was just now.
    framework.everySecond(Date.now() + KILL_RETRY_MS / 2)
    expect(kills()).toEqual([kill])
    framework.everySecond(Date.now() + KILL_RETRY_MS)
    expect(kills()).toEqual([kill, kill])
    // A re-subscription sends it too.
    await framework.onSubscribed(driver)
    expect(kills()).toEqual([kill, kill, kill])
    await update('TASK_KILLED')
    framework.everySecond(Date.now() + 2 * KILL_RETRY_MS)
    await framework.onSubscribed(driver)
    expect(kills()).toHaveLength(3)
  })

  test('a TASK_LOST reconciliation answer within the re-registration timeout leaves the run alone', async () => {
    const { service, framework, driver, calls } = setup()
    service.createJob(parseJobSpec({ id: 'a', run: { cmd: 'true', cpus: 1, mem: 32 } }))
    service.startRun('a')
    await framework.onSubscribed(driver)
    await framework.onEvent({ type: 'OFFERS', offers: { offers: [offer('o1', 1)] } }, driver)
    const taskId = calls.find(c => c.type === 'ACCEPT')!.body.accept.operations[0].launch.task_infos[0].task_id.value
    const update = (state: string, reason?: string) => framework.onEvent({ type: 'UPDATE', update: { status: { task_id: { value: taskId }, state, ...(reason ? { reason } : {}) } as any } }, driver)
    const before = service.activeRuns('a')[0]!.tasks.at(-1)!.status
    await update('TASK_LOST', 'REASON_RECONCILIATION')
    expect(service.activeRuns('a')[0]!.tasks.at(-1)!.status).toBe(before)
    expect(before).not.toBe('TASK_LOST')
    await update('TASK_FINISHED')
    expect(service.activeRuns('a')).toHaveLength(0)
  })
})

// The master's VIP service on a master harness: the VIP table follows a task with a VIP label through RUNNING,
// unhealthy, healthy again and finished, every change reaches the agent as one VIPS message in the same turn, a new
// link gets the table at once, and a named VIP's address is persisted in the registrar's key-value area and reused
// by a master that recovers it.

import { describe, expect, test } from 'bun:test'
import type { MasterMessage, StatusUpdate } from '../../src/core/agent-protocol.ts'
import { KvArea } from '../../src/master/builtin-frameworks/store.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { OperatorEvents } from '../../src/master/operator-events.ts'
import type { RegistrarOp } from '../../src/master/outbox.ts'
import type { AgentLink } from '../../src/master/registered-agent.ts'
import { VipRange } from '../../src/master/vips/vip-allocation.ts'
import { VipService } from '../../src/master/vips/vip-service.ts'

const discovery = { visibility: 'FRAMEWORK', name: 'web', ports: { ports: [{ number: 8080, protocol: 'tcp', labels: { labels: [{ key: 'VIP_0', value: '/web:80' }] } }] } }
const tick = () => Bun.sleep(5)

function setup(recoveredKv: { namespace: string; key: string; value: string }[] = []) {
  const h = new MasterHarness()
  const events = new OperatorEvents()
  // The harness records effects; operator events go to the service as the runtime would publish them.
  let seen = 0
  const perform = h.perform.bind(h)
  h.perform = (effects, master) => {
    perform(effects, master)
    for (; seen < h.effects.length; seen++) {
      const e = h.effects[seen]!
      if (e.type === 'publish') events.publish(e.event, e.payload)
    }
  }
  const writes: RegistrarOp[] = []
  const store = new KvArea(recoveredKv, ops => writes.push(...ops)).namespace('vips')
  const service = new VipService(h.master, events, { range: VipRange.parse('11.0.0.0/16'), store })
  const { agent, link } = h.registerAgent()
  const sent: MasterMessage[] = []
  ;(link as AgentLink).send = (m: MasterMessage) => { sent.push(m) }
  const { framework } = h.subscribe({ name: 'marathon', checkpoint: true })
  return { h, service, agent, link, framework, sent, writes }
}

const vipsOf = (sent: MasterMessage[]) => sent.filter(m => m.type === 'VIPS').map(m => (m as Extract<MasterMessage, { type: 'VIPS' }>).vips)

describe('VIP service', () => {
  test('a task behind a named VIP: RUNNING, unhealthy, healthy, finished', async () => {
    const { h, service, agent, framework, sent, writes } = setup()
    h.allocate()
    const offer = h.offersFor(framework)[0]!
    h.launch(framework, offer, [{ name: 'web', task_id: { value: 'web-1' }, discovery }])
    await tick()
    expect(vipsOf(sent).at(-1)).toEqual([])
    h.status(agent, framework, 'web-1', 'TASK_RUNNING')
    await tick()
    const ip = service.info().vips[0]!.ip
    expect(ip).toStartWith('11.0.')
    expect(writes).toEqual([{ op: 'putKv', namespace: 'vips', key: 'marathon/web', value: ip }])
    expect(vipsOf(sent).at(-1)).toEqual([{ vip: `${ip}:80`, protocol: 'tcp', backends: ['10.0.0.2:8080'] }])
    const health = (healthy: boolean): StatusUpdate => ({ framework_id: framework.id, status: { task_id: { value: 'web-1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', healthy, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' } })
    h.master.fromAgent(agent, { type: 'STATUS_UPDATE', update: health(false) })
    await tick()
    expect(vipsOf(sent).at(-1)).toEqual([{ vip: `${ip}:80`, protocol: 'tcp', backends: [] }])
    expect(service.info().vips[0]!.backends[0]).toMatchObject({ healthy: false, serving: false, task_id: 'web-1' })
    h.master.fromAgent(agent, { type: 'STATUS_UPDATE', update: health(true) })
    await tick()
    expect(vipsOf(sent).at(-1)).toEqual([{ vip: `${ip}:80`, protocol: 'tcp', backends: ['10.0.0.2:8080'] }])
    const before = sent.length
    // A repeat of the same state sends nothing.
    h.master.fromAgent(agent, { type: 'STATUS_UPDATE', update: health(true) })
    await tick()
    expect(sent.length).toBe(before)
    h.status(agent, framework, 'web-1', 'TASK_FINISHED')
    await tick()
    expect(vipsOf(sent).at(-1)).toEqual([])
    service.stop()
  })

  test('a re-registered agent gets the table on its new link; a recovering master reuses the address', async () => {
    const { h, service, agent, framework, writes } = setup([{ namespace: 'vips', key: 'marathon/web', value: '11.0.3.4' }])
    h.allocate()
    h.launch(framework, h.offersFor(framework)[0]!, [{ name: 'web', task_id: { value: 'web-1' }, discovery }])
    h.status(agent, framework, 'web-1', 'TASK_RUNNING')
    await tick()
    expect(service.info().vips.map(v => v.vip)).toEqual(['11.0.3.4:80'])
    expect(writes).toEqual([])
    h.master.agentDisconnected(agent, agent.link!)
    const sent: MasterMessage[] = []
    const link = h.reregisterAgent(agent, { tasks: [...agent.tasks.values()], frameworks: [framework.info] })
    ;(link as AgentLink).send = (m: MasterMessage) => { sent.push(m) }
    await tick()
    expect(vipsOf(sent)).toEqual([[{ vip: '11.0.3.4:80', protocol: 'tcp', backends: ['10.0.0.2:8080'] }]])
    service.stop()
  })
})

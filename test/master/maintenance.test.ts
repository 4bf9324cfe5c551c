// Maintenance and drain through the master harness (src/master/harness.ts): inverse offers to the frameworks using
// a scheduled agent, their answers in the status, START_MAINTENANCE removing the agent, registration refused until
// STOP_MAINTENANCE, DRAIN_AGENT to DRAINED (or gone), DEACTIVATE/REACTIVATE and drains across a master restart, and no
// FAILURE after an agent is gone.

import { describe, expect, test } from 'bun:test'
import type { AgentMessage } from '../../src/core/agent-protocol.ts'
import type { InverseOffer, Offer } from '../../src/core/v1/messages.ts'
import { FakeLink, MasterHarness } from '../../src/master/harness.ts'
import { clusterStatus } from '../../src/master/maintenance/transitions.ts'
import type { AgentRecord, RegistrarSnapshot } from '../../src/master/registrar.ts'

const PARTITION_AWARE = { capabilities: [{ type: 'PARTITION_AWARE' as const }] }
const U = { start: { nanoseconds: 1_800_000_000_000_000_000 }, duration: { nanoseconds: 3_600_000_000_000 } }
const HOST = 'agent.example'

/** A framework running one task on one agent. */
function withTask(info = {}) {
  const h = new MasterHarness()
  const { agent, link } = h.registerAgent('cpus:4;mem:4096', HOST)
  agent.capabilities = ['AGENT_DRAINING']
  const { framework: fw } = h.subscribe({ failover_timeout: 60, checkpoint: true, ...info })
  h.allocate()
  const offer = h.offersFor(fw)[0]!
  h.launch(fw, offer, [{}])
  h.status(agent, fw, 'task-0', 'TASK_RUNNING', 'u1')
  h.master.acknowledge(fw, agent.id, 'task-0', 'u1')
  return { h, agent, link, fw }
}

const inverseOffersTo = (h: MasterHarness, fw: { id: string }): InverseOffer[] =>
  h.eventsTo(fw.id, 'INVERSE_OFFERS').flatMap(e => (e.inverse_offers as { inverse_offers: InverseOffer[] }).inverse_offers)

/** What the registrar would hold after the writes the harness recorded. */
function registrarAfter(h: MasterHarness): Partial<RegistrarSnapshot> {
  const agents = new Map<string, AgentRecord>()
  let maintenance: RegistrarSnapshot['maintenance']
  for (const op of h.persisted) {
    if (op.op === 'putAgent') agents.set(op.record.id, op.record)
    if (op.op === 'removeAgent') agents.delete(op.id)
    if (op.op === 'putMaintenance') maintenance = op.record
  }
  return { agents: [...agents.values()], ...(maintenance ? { maintenance } : {}) }
}

describe('maintenance schedule and inverse offers', () => {
  test('a window on the agent sends inverse offers to the framework with a task there; offers carry unavailability', () => {
    const { h, agent, fw } = withTask()
    const other = h.subscribe({ name: 'idle' }).framework
    h.allocate()
    expect(h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [{ hostname: HOST }], unavailability: U }] })).toBeUndefined()
    expect(h.persisted.some(op => op.op === 'putMaintenance')).toBe(true)
    // The agent's outstanding offers were rescinded, so the next ones say when the machine goes.
    expect(h.eventsTo(fw, 'RESCIND').length + h.eventsTo(other, 'RESCIND').length).toBeGreaterThan(0)
    h.allocate()
    const inverse = inverseOffersTo(h, fw)
    expect(inverse).toHaveLength(1)
    expect(inverse[0]).toMatchObject({ framework_id: { value: fw.id }, agent_id: { value: agent.id }, unavailability: U })
    const offers: Offer[] = [...h.offersFor(fw), ...h.offersFor(other)]
    expect(offers.length).toBeGreaterThan(0)
    for (const o of offers) expect(o.unavailability).toEqual(U)
    // The framework without resources on the agent gets an inverse offer only for what it was offered there.
    expect(inverseOffersTo(h, other).every(i => i.agent_id?.value === agent.id)).toBe(true)
    // Not sent twice while outstanding.
    h.allocate()
    expect(inverseOffersTo(h, fw)).toHaveLength(1)
    expect(clusterStatus({ s: h.state })).toEqual({ draining_machines: [{ id: { hostname: HOST } }] })
  })

  test('DECLINE and ACCEPT are recorded in the status; a declined inverse offer comes back after its filter', () => {
    const { h, fw } = withTask()
    h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [{ hostname: HOST }], unavailability: U }] })
    h.allocate()
    const first = inverseOffersTo(h, fw)[0]!
    h.master.answerInverseOffers(fw, [first.id.value], 'DECLINE', 10)
    const status = clusterStatus({ s: h.state })
    expect(status.draining_machines![0]!.statuses).toEqual([{ status: 'DECLINE', framework_id: { value: fw.id }, timestamp: { nanoseconds: h.now * 1e6 } }])
    h.allocate()
    expect(inverseOffersTo(h, fw)).toHaveLength(1)
    h.advance(10_000)
    h.allocate()
    const second = inverseOffersTo(h, fw)
    expect(second).toHaveLength(2)
    h.master.answerInverseOffers(fw, [second[1]!.id.value], 'ACCEPT', undefined)
    expect(clusterStatus({ s: h.state }).draining_machines![0]!.statuses![0]!.status).toBe('ACCEPT')
  })

  test('changing the window rescinds the inverse offers and forgets the answers; leaving it ends them', () => {
    const { h, fw } = withTask()
    h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [{ hostname: HOST }], unavailability: U }] })
    h.allocate()
    const first = inverseOffersTo(h, fw)[0]!
    const later = { start: { nanoseconds: U.start.nanoseconds + 60e9 } }
    h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [{ hostname: HOST }], unavailability: later }] })
    expect(h.eventsTo(fw, 'RESCIND_INVERSE_OFFER').map(e => e.rescind_inverse_offer)).toEqual([{ inverse_offer_id: first.id }])
    h.allocate()
    expect(inverseOffersTo(h, fw).at(-1)!.unavailability).toEqual(later)
    h.master.updateMaintenanceSchedule({ windows: [] })
    expect(h.eventsTo(fw, 'RESCIND_INVERSE_OFFER')).toHaveLength(2)
    expect(h.state.maintenance.machines.size).toBe(0)
  })

  test('schedule validation errors are upstream\'s', () => {
    const h = new MasterHarness()
    expect(h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [], unavailability: U }] })).toBe('List of machines in the maintenance window is empty')
    expect(h.master.startMaintenance([{ hostname: 'x' }])).toBe(`Machine '{"hostname":"x"}' is not part of a maintenance schedule`)
    expect(h.persisted).toHaveLength(0)
  })
})

describe('START_MAINTENANCE and STOP_MAINTENANCE', () => {
  test('the agent is told to shut down and removed; its task is LOST; it may not register until the machine is up', () => {
    const { h, agent, link, fw } = withTask(PARTITION_AWARE)
    h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [{ hostname: HOST }], unavailability: U }] })
    expect(h.master.startMaintenance([{ hostname: HOST }])).toBeUndefined()
    expect(h.messagesOn(link, 'SHUTDOWN')).toEqual([{ type: 'SHUTDOWN', message: "Operator initiated 'Machine DOWN'" }])
    expect(link.closed).toBe('machine is DOWN')
    const last = h.updatesTo(fw, 'task-0').at(-1)!
    expect(last).toMatchObject({ state: 'TASK_LOST', reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER', message: `Agent ${HOST} removed: Operator initiated 'Machine DOWN'` })
    expect(h.eventsTo(fw, 'FAILURE').map(e => e.failure)).toEqual([{ agent_id: { value: agent.id } }])
    expect(h.state.agents.has(agent.id)).toBe(false)
    expect(h.persisted).toContainEqual({ op: 'removeAgent', id: agent.id })
    expect(clusterStatus({ s: h.state })).toEqual({ down_machines: [{ hostname: HOST }] })

    // Re-registering (same id) and registering anew are both refused while the machine is DOWN.
    const again = h.reregisterAgent(agent)
    expect(h.messagesOn(again, 'SHUTDOWN')).toEqual([{ type: 'SHUTDOWN', message: 'Machine is `DOWN`' }])
    const fresh = new FakeLink()
    const msg: Extract<AgentMessage, { type: 'REGISTER' }> = { type: 'REGISTER', agent_info: { hostname: HOST, resources: [] }, version: 't', capabilities: [], protocol: 1, pid: 'slave(1)@10.0.0.2:5051' }
    h.master.registerAgent(msg, fresh)
    expect(h.messagesOn(fresh, 'SHUTDOWN')).toHaveLength(1)
    expect(h.state.admitting.size).toBe(0)
    // The window cannot drop a DOWN machine.
    expect(h.master.updateMaintenanceSchedule({ windows: [] })).toBe(`Machine '{"hostname":"${HOST}"}' is deactivated and cannot be removed from the schedule`)

    expect(h.master.stopMaintenance([{ hostname: HOST }])).toBeUndefined()
    expect(h.state.maintenance.schedule).toEqual({ windows: [] })
    const back = new FakeLink()
    const newcomer = h.master.registerAgent(msg, back)
    h.commit()
    expect(h.messagesOn(back, 'REGISTERED')).toHaveLength(1)
    expect(h.state.agents.get(newcomer.id)).toBe(newcomer)
    // No FAILURE or UNREACHABLE later for the removed agent.
    h.advance(20 * 60_000)
    expect(h.eventsTo(fw, 'FAILURE')).toHaveLength(1)
  })

  test('the schedule and machine modes survive a master restart', () => {
    const { h } = withTask()
    h.master.updateMaintenanceSchedule({ windows: [{ machine_ids: [{ hostname: HOST }, { hostname: 'other' }], unavailability: U }] })
    h.master.startMaintenance([{ hostname: 'other' }])
    const restarted = new MasterHarness({ recovered: registrarAfter(h) })
    expect(restarted.state.maintenance.schedule).toEqual(h.state.maintenance.schedule)
    expect(clusterStatus({ s: restarted.state }).down_machines).toEqual([{ hostname: 'other' }])
  })
})

describe('DRAIN_AGENT', () => {
  test('deactivates the agent, tells it to drain, and is DRAINED once the killed task is acknowledged', () => {
    const { h, agent, link, fw } = withTask()
    h.master.drainAgent(agent, { max_grace_period: { nanoseconds: 2e9 }, mark_gone: false })
    expect(h.messagesOn(link, 'DRAIN')).toEqual([{ type: 'DRAIN', max_grace_period_ns: 2e9 }])
    expect(agent.deactivated).toBe(true)
    expect(h.state.draining.get(agent.id)?.state).toBe('DRAINING')
    h.allocate()
    expect(h.offersFor(fw)).toHaveLength(0)
    h.status(agent, fw, 'task-0', 'TASK_KILLED', 'u2')
    expect(h.state.draining.get(agent.id)?.state).toBe('DRAINING')
    h.master.acknowledge(fw, agent.id, 'task-0', 'u2')
    expect(h.state.draining.get(agent.id)?.state).toBe('DRAINED')
    expect(h.persisted.filter(op => op.op === 'putAgent').at(-1)).toMatchObject({ record: { deactivated: true, drain: { state: 'DRAINED' } } })
    // REACTIVATE ends it.
    h.master.setAgentActive(agent, true)
    expect(h.state.draining.has(agent.id)).toBe(false)
    h.allocate()
    expect(h.offersFor(fw).length).toBeGreaterThan(0)
  })

  test('with mark_gone the drained agent is marked gone, with no FAILURE afterwards', () => {
    const { h, agent, link, fw } = withTask(PARTITION_AWARE)
    h.master.drainAgent(agent, { mark_gone: true })
    expect(h.messagesOn(link, 'DRAIN')).toEqual([{ type: 'DRAIN', mark_gone: true }])
    h.status(agent, fw, 'task-0', 'TASK_GONE_BY_OPERATOR', 'u2')
    h.master.acknowledge(fw, agent.id, 'task-0', 'u2')
    expect(h.state.goneAgents.has(agent.id)).toBe(true)
    expect(h.messagesOn(link, 'SHUTDOWN')).toHaveLength(1)
    const failures = h.eventsTo(fw, 'FAILURE').length
    // The gone agent's link closes: no disconnection window, no unreachable, no second FAILURE.
    h.master.agentDisconnected(agent, link)
    h.advance(30 * 60_000)
    expect(h.eventsTo(fw, 'FAILURE')).toHaveLength(failures)
    expect(h.updatesTo(fw).some(s => s.state === 'TASK_UNREACHABLE')).toBe(false)
  })

  test('a drain survives a master restart and is sent again when the agent re-registers', () => {
    const { h, agent, fw } = withTask()
    h.master.drainAgent(agent, { max_grace_period: { nanoseconds: 1e9 } })
    const restarted = new MasterHarness({ recovered: registrarAfter(h) })
    const recovered = restarted.state.agents.get(agent.id)!
    expect(recovered.deactivated).toBe(true)
    expect(restarted.state.draining.get(agent.id)).toEqual({ state: 'DRAINING', config: { max_grace_period: { nanoseconds: 1e9 } } })
    const task = { name: 't', task_id: { value: 'task-0' }, framework_id: { value: fw.id }, agent_id: { value: agent.id }, state: 'TASK_RUNNING' as const, resources: [] }
    const link = restarted.reregisterAgent(recovered, { frameworks: [fw.info], tasks: [task] })
    expect(restarted.messagesOn(link, 'DRAIN')).toEqual([{ type: 'DRAIN', max_grace_period_ns: 1e9 }])
    restarted.allocate()
    expect(restarted.eventsTo(fw.id, 'OFFERS')).toHaveLength(0)
  })
})

describe('DEACTIVATE_AGENT / REACTIVATE_AGENT', () => {
  test('persisted across a restart: a deactivated agent is offered to no one until reactivated', () => {
    const { h, agent } = withTask()
    h.master.setAgentActive(agent, false)
    const restarted = new MasterHarness({ recovered: registrarAfter(h) })
    const recovered = restarted.state.agents.get(agent.id)!
    expect(recovered.deactivated).toBe(true)
    restarted.reregisterAgent(recovered)
    const { framework } = restarted.subscribe({ name: 'new' })
    restarted.allocate()
    expect(restarted.offersFor(framework)).toHaveLength(0)
    restarted.master.setAgentActive(recovered, true)
    restarted.allocate()
    expect(restarted.offersFor(framework).length).toBeGreaterThan(0)
    expect(registrarAfter(restarted).agents!.find(a => a.id === agent.id)?.deactivated).toBeUndefined()
  })
})

// Master transitions driven through the harness (src/master/harness.ts): no sockets, a clock that moves only when
// told, every effect recorded.

import { describe, expect, test } from 'bun:test'
import type { Task } from '../../src/core/v1/messages.ts'
import { MasterHarness } from '../../src/master/harness.ts'
import { timerKey } from '../../src/master/outbox.ts'
import { PING_SLICES, pingSlice } from '../../src/master/ping-slice.ts'

const PARTITION_AWARE = { capabilities: [{ type: 'PARTITION_AWARE' as const }] }

/** A framework with one agent and one offer for it. */
function withOffer(opts: ConstructorParameters<typeof MasterHarness>[0] = {}, info = {}) {
  const h = new MasterHarness(opts)
  const { agent, link } = h.registerAgent('cpus:4;mem:4096')
  const { framework: fw, stream } = h.subscribe({ failover_timeout: 60, checkpoint: true, ...info })
  h.allocate()
  const offer = h.offersFor(fw)[0]!
  expect(offer).toBeDefined()
  return { h, agent, link, fw, stream, offer }
}

function taskOnAgent(h: MasterHarness, fwId: string, taskId: string, state: Task['state'], agentId: string): Task {
  return { name: taskId, task_id: { value: taskId }, framework_id: { value: fwId }, agent_id: { value: agentId }, state, resources: [], statuses: [] }
}

describe('frameworks', () => {
  test('SUBSCRIBE sends SUBSCRIBED then HEARTBEAT, persists the framework and starts heartbeats', () => {
    const h = new MasterHarness()
    const { framework: fw } = h.subscribe({ name: 'web' })
    expect(h.eventsTo(fw).map(e => e.type)).toEqual(['SUBSCRIBED', 'HEARTBEAT'])
    expect(h.persisted.some(op => op.op === 'putFramework' && op.record.id === fw.id)).toBe(true)
    h.advance(15_000)
    expect(h.eventsTo(fw, 'HEARTBEAT')).toHaveLength(2)
  })

  test('failover with outstanding offers: the old stream gets ERROR and closes, the offers are void and come back', () => {
    const { h, fw, stream, offer } = withOffer()
    const again = h.subscribe({ id: { value: fw.id }, failover_timeout: 60 })
    expect(again.framework).toBe(fw)
    expect(stream.isClosed).toBe(true)
    expect(h.effects.some(e => e.type === 'closeStream' && e.stream === stream && e.error === 'Framework failed over')).toBe(true)
    expect(h.state.offers.has(offer.id.value)).toBe(false)
    // The old offer cannot be used by the new instance; a new allocation offers the same agent again.
    h.launch(fw, offer, [{ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }] }])
    expect(h.updatesTo(fw, 'task-0').at(-1)?.state).toBe('TASK_LOST')
    h.allocate()
    expect(h.offersFor(fw)).toHaveLength(1)
  })

  test('disconnect: offers go back, the failover timer runs; re-subscribing in time cancels it', () => {
    const { h, fw } = withOffer()
    h.disconnect(fw)
    expect(fw.connection).toBe('disconnected')
    expect(h.state.offers.size).toBe(0)
    expect(h.hasTimer(timerKey.failover(fw.id))).toBe(true)
    h.advance(30_000)
    h.subscribe({ id: { value: fw.id }, failover_timeout: 60 })
    expect(h.hasTimer(timerKey.failover(fw.id))).toBe(false)
    h.advance(120_000)
    expect(h.state.frameworks.has(fw.id)).toBe(true)
  })

  test('failover timeout: the framework is removed, its tasks killed and its agents told', () => {
    const { h, fw, agent, offer } = withOffer()
    h.launch(fw, offer, [{ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }] }])
    h.disconnect(fw)
    h.advance(59_999)
    expect(h.state.frameworks.has(fw.id)).toBe(true)
    h.advance(1)
    expect(h.state.frameworks.has(fw.id)).toBe(false)
    expect(h.state.completedFrameworks).toContain(fw)
    expect(h.messagesTo(agent, 'SHUTDOWN_FRAMEWORK')).toHaveLength(1)
    expect(fw.completedTasks[0]?.state).toBe('TASK_KILLED')
    expect(h.persisted.at(-1)).toEqual({ op: 'removeFramework', id: fw.id })
    // A removed framework cannot come back.
    expect(() => h.subscribe({ id: { value: fw.id } })).toThrow('Framework has been removed')
  })

  test('auto-teardown: a disconnected meso task run framework goes once its task ends', () => {
    const { h, fw, agent, offer } = withOffer({}, { labels: { labels: [{ key: 'meso.io/auto-teardown', value: 'idle' }] } })
    h.launch(fw, offer, [{}])
    h.disconnect(fw)
    expect(h.state.frameworks.has(fw.id)).toBe(true)
    h.status(agent, fw, 'task-0', 'TASK_FINISHED', 'u1')
    expect(h.state.frameworks.has(fw.id)).toBe(false)
  })
})

describe('offers', () => {
  test('DECLINE installs a filter; REVIVE clears it', () => {
    const { h, fw, offer } = withOffer()
    h.master.decline(fw, [offer.id.value], 30)
    h.allocate()
    expect(h.offersFor(fw)).toHaveLength(0)
    h.master.revive(fw, undefined)
    expect(h.allocationRequested).toBe(true)
    h.allocate()
    expect(h.offersFor(fw)).toHaveLength(1)
  })

  test('ACCEPT launches within the offer, rejects what does not fit, and returns the rest', () => {
    const { h, fw, agent, offer } = withOffer()
    const cpus = (n: number) => [{ name: 'cpus', type: 'SCALAR' as const, scalar: { value: n } }]
    h.launch(fw, offer, [{ task_id: { value: 'a' }, resources: cpus(3) }, { task_id: { value: 'b' }, resources: cpus(3) }], 0)
    expect(h.messagesTo(agent, 'RUN_TASK').map(m => m.type === 'RUN_TASK' && m.task.task_id.value)).toEqual(['a'])
    const b = h.updatesTo(fw, 'b')
    expect(b).toHaveLength(1)
    expect(b[0]!.state).toBe('TASK_ERROR')
    expect(b[0]!.message).toContain('Task uses more resources')
    h.allocate()
    const next = h.offersFor(fw)[0]!
    expect(next.resources?.find(r => r.name === 'cpus')?.scalar?.value).toBe(1)
  })

  test('--offer_timeout rescinds an unanswered offer', () => {
    const { h, fw, offer } = withOffer({ flags: { offer_timeout: '10secs' } })
    h.advance(10_000)
    expect(h.state.offers.has(offer.id.value)).toBe(false)
    expect(h.eventsTo(fw, 'RESCIND')).toHaveLength(1)
  })
})

describe('tasks', () => {
  test('status updates reach the framework in order; resources return at the terminal state, the task at its ack', () => {
    const { h, fw, agent, offer } = withOffer()
    h.launch(fw, offer, [{ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 } }] }])
    h.status(agent, fw, 'task-0', 'TASK_STARTING', 'u1')
    h.status(agent, fw, 'task-0', 'TASK_RUNNING', 'u2')
    h.status(agent, fw, 'task-0', 'TASK_FINISHED', 'u3')
    expect(h.updatesTo(fw, 'task-0').map(s => s.state)).toEqual(['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'])
    expect(fw.tasks.get('task-0')?.state).toBe('TASK_FINISHED')
    // Terminal but unacknowledged: still listed, its resources already offered again.
    h.allocate()
    expect(h.offersFor(fw)[0]!.resources?.find(r => r.name === 'cpus')?.scalar?.value).toBe(4)
    h.master.acknowledge(fw, agent.id, 'task-0', 'u3')
    expect(fw.tasks.has('task-0')).toBe(false)
    expect(fw.completedTasks.map(t => t.task_id.value)).toEqual(['task-0'])
    expect(h.messagesTo(agent, 'ACKNOWLEDGE')).toHaveLength(1)
  })

  test('an update queued behind an unacknowledged one moves the latest state without reaching the framework', () => {
    const { h, fw, agent, offer } = withOffer()
    h.launch(fw, offer, [{}])
    h.status(agent, fw, 'task-0', 'TASK_RUNNING', 'u1')
    h.master.fromAgent(agent, { type: 'LATEST_STATE', framework_id: fw.id, task_id: 'task-0', state: 'TASK_FINISHED' })
    expect(fw.tasks.get('task-0')?.state).toBe('TASK_FINISHED')
    expect(h.updatesTo(fw, 'task-0').map(s => s.state)).toEqual(['TASK_RUNNING'])
    expect(h.effects.filter(e => e.type === 'publish' && e.event === 'TASK_UPDATED')).toHaveLength(2)
  })

  test('a retried update the framework already acknowledged is acknowledged again, not forwarded', () => {
    const { h, fw, agent, offer } = withOffer()
    h.launch(fw, offer, [{}])
    h.status(agent, fw, 'task-0', 'TASK_RUNNING', 'u1')
    h.master.acknowledge(fw, agent.id, 'task-0', 'u1')
    h.status(agent, fw, 'task-0', 'TASK_RUNNING', 'u1')
    expect(h.updatesTo(fw, 'task-0')).toHaveLength(1)
    expect(h.messagesTo(agent, 'ACKNOWLEDGE')).toHaveLength(2)
  })

  test('a kill for a disconnected agent waits for its re-registration; acks missed meanwhile are replayed', () => {
    const { h, fw, agent, link, offer } = withOffer()
    h.launch(fw, offer, [{}])
    h.status(agent, fw, 'task-0', 'TASK_RUNNING', 'u1')
    h.master.agentDisconnected(agent, link)
    h.master.acknowledge(fw, agent.id, 'task-0', 'u1')
    h.master.kill(fw, 'task-0', agent.id)
    expect(h.messagesTo(agent, 'KILL_TASK')).toHaveLength(0)
    const link2 = h.reregisterAgent(agent, { tasks: [{ ...fw.tasks.get('task-0')!, state: 'TASK_RUNNING' }], frameworks: [fw.info] })
    expect(h.messagesOn(link2).map(m => m.type)).toEqual(['REREGISTERED', 'KILL_TASK', 'ACKNOWLEDGE'])
  })

  test('reconciliation answers the state of the update the framework has yet to acknowledge, not a later one', () => {
    const { h, fw, agent, offer } = withOffer()
    h.launch(fw, offer, [{}])
    h.status(agent, fw, 'task-0', 'TASK_STARTING', 'u1')
    h.master.fromAgent(agent, { type: 'LATEST_STATE', framework_id: fw.id, task_id: 'task-0', state: 'TASK_FINISHED' })
    h.master.reconcile(fw, [{ task_id: { value: 'task-0' }, agent_id: { value: agent.id } }])
    expect(h.updatesTo(fw, 'task-0').at(-1)).toMatchObject({ state: 'TASK_STARTING', reason: 'REASON_RECONCILIATION' })
  })

  test('reconciliation: implicit lists known tasks; explicit answers for unknown ones by their agent', () => {
    const { h, fw, agent, offer } = withOffer({}, PARTITION_AWARE)
    h.launch(fw, offer, [{}])
    h.status(agent, fw, 'task-0', 'TASK_RUNNING', 'u1')
    h.master.reconcile(fw, [])
    expect(h.updatesTo(fw).at(-1)).toMatchObject({ task_id: { value: 'task-0' }, state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION', source: 'SOURCE_MASTER' })
    h.master.reconcile(fw, [{ task_id: { value: 'ghost' }, agent_id: { value: agent.id } }, { task_id: { value: 'nowhere' }, agent_id: { value: 'no-such-agent' } }])
    const [ghost, nowhere] = h.updatesTo(fw).slice(-2)
    expect(ghost).toMatchObject({ task_id: { value: 'ghost' }, state: 'TASK_GONE' })
    expect(nowhere).toMatchObject({ task_id: { value: 'nowhere' }, state: 'TASK_UNKNOWN' })
    expect(ghost!.timestamp).toBe(h.now / 1000)
  })
})

describe('agents', () => {
  test('registration is admitted only once the registrar write is durable', () => {
    const h = new MasterHarness()
    const agent = h.master.registerAgent({ type: 'REGISTER', agent_info: { hostname: 'a', resources: [] }, version: 'x', capabilities: [], protocol: 1, pid: 'slave(1)@10.0.0.2:5051' }, { send() {}, close() {} })
    expect(h.state.agents.has(agent.id)).toBe(false)
    expect(h.persisted.map(op => op.op)).toEqual(['putSequence', 'putAgent'])
    h.commit()
    expect(h.state.agents.get(agent.id)).toBe(agent)
  })

  test('re-registration: the agent report wins; a task it no longer has is gone', () => {
    const { h, fw, agent, link, offer } = withOffer({}, PARTITION_AWARE)
    h.launch(fw, offer, [{ task_id: { value: 'kept' } }, { task_id: { value: 'vanished' } }])
    h.master.agentDisconnected(agent, link)
    h.reregisterAgent(agent, { tasks: [taskOnAgent(h, fw.id, 'kept', 'TASK_RUNNING', agent.id)], frameworks: [fw.info] })
    expect(fw.tasks.get('kept')?.state).toBe('TASK_RUNNING')
    expect(fw.tasks.has('vanished')).toBe(false)
    expect(h.updatesTo(fw, 'vanished').at(-1)).toMatchObject({ state: 'TASK_GONE', reason: 'REASON_AGENT_REREGISTERED' })
    expect(agent.connected).toBe(true)
  })

  test('an agent that stays away becomes unreachable: LOST or UNREACHABLE by framework, FAILURE to all', () => {
    const h = new MasterHarness({ flags: { agent_ping_timeout: '1secs', max_agent_ping_timeouts: 3 } })
    const { agent, link } = h.registerAgent()
    const { framework: aware } = h.subscribe({ checkpoint: true, ...PARTITION_AWARE })
    const { framework: plain } = h.subscribe({ checkpoint: true })
    h.allocate()
    const offer = [...h.offersFor(aware), ...h.offersFor(plain)][0]!
    const owner = offer.framework_id.value === aware.id ? aware : plain
    const other = owner === aware ? plain : aware
    h.launch(owner, offer, [{ resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }] }])
    h.master.decline(other, h.offersFor(other).map(o => o.id.value), 0)
    h.master.agentDisconnected(agent, link)
    h.advance(2_999)
    expect(agent.state).toBe('disconnected')
    h.advance(1)
    expect(agent.state).toBe('unreachable')
    expect(h.updatesTo(owner, 'task-0').at(-1)?.state).toBe(owner === aware ? 'TASK_UNREACHABLE' : 'TASK_LOST')
    expect(h.eventsTo(aware, 'FAILURE')).toHaveLength(1)
    expect(h.eventsTo(plain, 'FAILURE')).toHaveLength(1)
    expect(h.persisted.at(-1)).toMatchObject({ op: 'putAgent', record: { id: agent.id, state: 'unreachable' } })
  })

  test('missed pings make an agent unreachable and close its link', () => {
    const h = new MasterHarness({ flags: { agent_ping_timeout: '1secs', max_agent_ping_timeouts: 2 } })
    h.master.start()
    const { agent, link } = h.registerAgent()
    h.advance(1_000)
    expect(h.messagesTo(agent, 'PING')).toHaveLength(1)
    h.master.fromAgent(agent, { type: 'PONG', seq: 1 })
    h.advance(2_000)
    expect(agent.state).toBe('registered')
    h.advance(1_000)
    expect(agent.state).toBe('unreachable')
    expect(link.closed).toBe('ping timeout')
  })

  test('pings are spread over the interval: each agent one per --agent_ping_timeout, a slice of them per tick', () => {
    const h = new MasterHarness({ flags: { agent_ping_timeout: '16secs' } })
    h.master.start()
    const registered = Array.from({ length: 160 }, (_, i) => h.registerAgent('cpus:1;mem:128', `a${i}.example`).agent)
    const pings = () => registered.map(a => h.messagesTo(a, 'PING').length)
    let largestTick = 0
    for (let tick = 0; tick < PING_SLICES; tick++) {
      const before = pings().reduce((a, b) => a + b, 0)
      h.advance(16_000 / PING_SLICES)
      largestTick = Math.max(largestTick, pings().reduce((a, b) => a + b, 0) - before)
    }
    expect(pings().every(n => n === 1)).toBe(true)
    // 160 agents in 16 slices: about 10 a tick, never all at once.
    expect(largestTick).toBeLessThan(40)
    h.advance(16_000)
    expect(pings().every(n => n === 2)).toBe(true)
  })

  test('ping slices are stable per agent id and even across many ids', () => {
    expect(pingSlice('0d2532c6-7464-47ce-8894-879dda8cda39-S1')).toBe(pingSlice('0d2532c6-7464-47ce-8894-879dda8cda39-S1'))
    const counts = new Array(PING_SLICES).fill(0)
    for (let i = 0; i < 10_000; i++) counts[pingSlice(`0d2532c6-7464-47ce-8894-879dda8cda39-S${i}`)]++
    expect(Math.min(...counts)).toBeGreaterThan(10_000 / PING_SLICES * 0.8)
    expect(Math.max(...counts)).toBeLessThan(10_000 / PING_SLICES * 1.2)
  })

  test('a deactivated agent stays out of offers when it re-registers, and across a master restart', () => {
    const { h, fw, agent, link } = withOffer()
    h.master.setAgentActive(agent, false)
    expect(h.offersFor(fw)).toHaveLength(0)
    expect(h.eventsTo(fw, 'RESCIND')).toHaveLength(1)
    h.master.agentDisconnected(agent, link)
    h.reregisterAgent(agent, { frameworks: [fw.info] })
    h.allocate()
    expect(h.offersFor(fw)).toHaveLength(0)

    // The flag is in the registrar: a restarted master recovers it.
    const record = h.persisted.filter(op => op.op === 'putAgent').at(-1)
    expect(record).toMatchObject({ record: { deactivated: true } })
    const restarted = new MasterHarness({ recovered: { agents: [record!.op === 'putAgent' ? record!.record : never()] } })
    const again = restarted.state.agents.get(agent.id)!
    expect(again.deactivated).toBe(true)
    const { framework: fw2 } = restarted.subscribe()
    restarted.reregisterAgent(again)
    restarted.allocate()
    expect(restarted.offersFor(fw2)).toHaveLength(0)
    restarted.master.setAgentActive(again, true)
    restarted.allocate()
    expect(restarted.offersFor(fw2)).toHaveLength(1)
  })

  test('after a master restart, agents that do not re-register in time become unreachable', () => {
    const h = new MasterHarness({
      flags: { agent_reregister_timeout: '10secs' },
      recovered: { agents: [{ id: 'A', info: { hostname: 'a', resources: [] }, pid: 'slave(1)@10.0.0.3:5051', state: 'admitted' }] },
    })
    expect(h.state.agents.get('A')?.state).toBe('recovered')
    h.advance(10_000)
    expect(h.state.agents.get('A')?.state).toBe('unreachable')
  })

  test('MARK_AGENT_GONE: tasks end, the agent is told to shut down and cannot come back', () => {
    const { h, fw, agent, link, offer } = withOffer({}, PARTITION_AWARE)
    h.launch(fw, offer, [{}])
    h.master.markAgentGone(agent)
    expect(h.updatesTo(fw, 'task-0').at(-1)?.state).toBe('TASK_GONE_BY_OPERATOR')
    expect(link.closed).toBe('marked gone')
    const link2 = h.reregisterAgent(agent)
    expect(h.messagesOn(link2, 'SHUTDOWN')).toHaveLength(1)
    expect(link2.closed).toBe('agent is gone')
  })
})

function never(): never { throw new Error('unreachable') }

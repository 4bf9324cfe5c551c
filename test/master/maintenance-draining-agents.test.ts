// Which agents get inverse offers, found through the agents-by-host index (src/master/maintenance/agents-by-host.ts,
// MaintenanceState.drainingAgents) rather than a walk over every agent: the same answer as asking machineOf of each
// agent, with stale index entries (agents gone, or re-registered under another name) dropped; and the inverse offer
// book's lookup by (agent, framework).

import { describe, expect, test } from 'bun:test'
import { AgentsByHost } from '../../src/master/maintenance/agents-by-host.ts'
import { InverseOfferBook } from '../../src/master/maintenance/inverse-offers.ts'
import { MaintenanceState } from '../../src/master/maintenance/maintenance-state.ts'
import { machineKey, type MachineRecord } from '../../src/master/maintenance/schedule.ts'

const U = { start: { nanoseconds: 1_700_000_000_000_000_000 }, duration: { nanoseconds: 3_600_000_000_000 } }

interface FakeAgent { id: string; hostname: string; address: string }
const agent = (id: string, hostname: string, ip: string): FakeAgent => ({ id, hostname, address: `${ip}:5051` })

function stateWith(machines: MachineRecord[], agents: FakeAgent[]) {
  const m = new MaintenanceState()
  m.machines = new Map(machines.map(r => [machineKey(r.id), r]))
  for (const a of agents) m.agentJoined(a)
  return { m, agents: new Map(agents.map(a => [a.id, a])) }
}

/** What sendInverseOffers used to compute: every agent asked for its machine. */
function byWalking(m: MaintenanceState, agents: Map<string, FakeAgent>): string[] {
  return [...agents.values()].filter(a => { const r = m.machineOf(a); return r?.mode === 'DRAINING' && r.unavailability }).map(a => a.id).sort()
}

describe('agents on DRAINING machines', () => {
  test('found by hostname (any case), by hostname and IP, by IP alone; UP, DOWN and machines without a window are not', () => {
    const { m, agents } = stateWith([
      { id: { hostname: 'Web-1' }, mode: 'DRAINING', unavailability: U },
      { id: { hostname: 'db-1', ip: '10.0.0.5' }, mode: 'DRAINING', unavailability: U },
      { id: { ip: '10.0.0.9' }, mode: 'DRAINING', unavailability: U },
      { id: { hostname: 'down-1' }, mode: 'DOWN', unavailability: U },
      { id: { hostname: 'up-1' }, mode: 'UP' },
    ], [
      agent('a1', 'web-1', '10.0.0.1'), agent('a2', 'WEB-1', '10.0.0.2'),
      agent('a3', 'db-1', '10.0.0.5'), agent('a4', 'db-1', '10.0.0.6'),
      agent('a5', 'other', '10.0.0.9'), agent('a6', 'down-1', '10.0.0.7'), agent('a7', 'up-1', '10.0.0.8'),
      agent('a8', 'elsewhere', '10.0.0.10'),
    ])
    const found = m.drainingAgents(agents)
    expect(found.map(f => f.agent.id).sort()).toEqual(['a1', 'a2', 'a3', 'a5'])
    expect(found.map(f => f.agent.id).sort()).toEqual(byWalking(m, agents))
    expect(found.every(f => f.unavailability === U)).toBe(true)
  })

  test('an agent two machines match is listed once, under the machine machineOf names', () => {
    const { m, agents } = stateWith([
      { id: { hostname: 'node' }, mode: 'DRAINING', unavailability: U },
      { id: { ip: '10.0.0.1' }, mode: 'DRAINING', unavailability: { ...U, duration: { nanoseconds: 1 } } },
    ], [agent('a1', 'node', '10.0.0.1')])
    const found = m.drainingAgents(agents)
    expect(found).toHaveLength(1)
    expect(found[0]!.unavailability).toBe(m.machineOf(agents.get('a1')!)!.unavailability!)
  })

  test('agents that went away or re-registered under another name are not found under the old one', () => {
    const { m, agents } = stateWith([{ id: { hostname: 'old-name' }, mode: 'DRAINING', unavailability: U }, { id: { hostname: 'new-name' }, mode: 'DRAINING', unavailability: U }],
      [agent('a1', 'old-name', '10.0.0.1'), agent('a2', 'old-name', '10.0.0.2')])
    agents.delete('a1')
    const renamed = agent('a2', 'new-name', '10.0.0.2')
    agents.set('a2', renamed)
    m.agentJoined(renamed)
    expect(m.drainingAgents(agents).map(f => f.agent.id)).toEqual(['a2'])
    expect(m.drainingAgents(agents).map(f => f.agent)).toEqual([renamed])
    // Registered again under the old name, it is found there again.
    const back = agent('a2', 'old-name', '10.0.0.2')
    agents.set('a2', back)
    m.agentJoined(back)
    expect(m.drainingAgents(agents).map(f => f.agent)).toEqual([back])
  })

  test('an agent the index was never told of is not found (agents.ts tells it of every registration)', () => {
    const index = new AgentsByHost()
    const agents = new Map([['a1', agent('a1', 'h', '10.0.0.1')]])
    expect(index.agentsOn({ hostname: 'h' }, agents)).toEqual([])
    index.add('a1', agents.get('a1')!)
    expect(index.agentsOn({ hostname: 'h' }, agents)).toEqual([agents.get('a1')!])
    expect(index.agentsOn({ hostname: 'h', ip: '10.0.0.2' }, agents)).toEqual([])
    expect(index.agentsOn({ ip: '10.0.0.1' }, agents)).toEqual([agents.get('a1')!])
  })
})

describe('inverse offer book by (agent, framework)', () => {
  test('find follows add, remove and answer', () => {
    const book = new InverseOfferBook()
    const o = { id: 'io-1', frameworkId: 'f', agentId: 'a', unavailability: U }
    book.add(o)
    expect(book.find('a', 'f')).toBe(o)
    expect(book.find('a', 'g')).toBeUndefined()
    expect(book.plan([{ agentId: 'a', unavailability: U, frameworks: ['f', 'g'] }], 0).map(p => p.frameworkId)).toEqual(['g'])
    book.remove('io-1')
    expect(book.find('a', 'f')).toBeUndefined()
    const again = { ...o, id: 'io-2' }
    book.add(again)
    book.answer(again, 'DECLINE', 1000, 5000)
    expect(book.find('a', 'f')).toBeUndefined()
    expect(book.outstanding.size).toBe(0)
  })
})

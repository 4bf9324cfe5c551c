// Random stories against the allocator, checking after every step what must always hold: nothing is offered twice
// or beyond an agent's total, reservations stay with their roles, the sorters' shares agree with the holdings.

import { describe, expect, test } from 'bun:test'
import { reservationRole, Resources } from '../../src/core/resources.ts'
import type { AllocatedOffer } from '../../src/master/allocator/allocator.ts'
import { AllocatorHarness, res, seededRandom } from '../../src/master/allocator/harness.ts'

const ROLES = ['a', 'b', 'c', 'a/x']
const SHAPES = [
  'cpus:4;mem:4096;disk:1000;ports:[31000-31100]',
  'cpus:2;mem:8192',
  'cpus:8;mem:2048;gpus:1',
  'cpus:2;mem:2048;cpus(a):2;mem(a):1024',
  'cpus:1;mem:512;cpus(b):1;mem(b):512;cpus(a/x):1',
]

interface Model {
  frameworks: Map<string, { roles: string[]; suppressed: Set<string>; gpu: boolean; active: boolean }>
  agents: Map<string, { total: Resources; active: boolean }>
  weights: Map<string, number>
}

function checkOffer(m: Model, o: AllocatedOffer, availableBefore: Resources): void {
  const fw = m.frameworks.get(o.frameworkId)!
  const agent = m.agents.get(o.agentId)!
  expect(fw.active && agent.active).toBe(true)
  expect(fw.roles).toContain(o.role)
  expect(fw.suppressed.has(o.role)).toBe(false)
  if (agent.total.scalar('gpus') > 0) expect(fw.gpu).toBe(true)
  for (const r of o.resources.list) {
    expect(r.allocation_info?.role).toBe(o.role)
    const reserved = reservationRole(r)
    expect(reserved === '*' || reserved === o.role || o.role.startsWith(reserved + '/')).toBe(true)
  }
  expect(availableBefore.contains(o.resources.unallocated())).toBe(true)
  expect(o.resources.scalar('cpus') >= 0.01 || o.resources.scalar('mem') >= 32).toBe(true)
}

function checkBooks(h: AllocatorHarness, m: Model): void {
  const a = h.allocator
  const clusterTotal = new Map<string, number>()
  let allocatedOnAgents = Resources.EMPTY
  for (const [id, agent] of m.agents) {
    for (const r of agent.total.list) if (r.type === 'SCALAR') clusterTotal.set(r.name, (clusterTotal.get(r.name) ?? 0) + r.scalar!.value)
    const allocated = a.agentAllocated(id)
    expect(agent.total.contains(allocated)).toBe(true)
    expect(allocated.plus(a.agentAvailable(id)).equals(agent.total)).toBe(true)
    allocatedOnAgents = allocatedOnAgents.plus(allocated)
  }
  let held = Resources.EMPTY
  for (const id of m.frameworks.keys()) held = held.plus(a.frameworkAllocated(id))
  expect(held.equals(allocatedOnAgents)).toBe(true)

  const share = (r: Resources, weight: number) => {
    let s = 0
    for (const [name, total] of clusterTotal) if (total > 0) s = Math.max(s, r.scalar(name) / total)
    return s / weight
  }
  for (const role of a.sortedRoles()) {
    expect(a.dominantShare(role)).toBeCloseTo(share(a.roleAllocated(role), m.weights.get(role) ?? 1), 9)
    for (const id of m.frameworks.keys()) {
      expect(a.frameworkShare(id, role)).toBeCloseTo(share(a.frameworkAllocated(id, role), 1), 9)
    }
  }
  // Roles are listed lowest weighted share first.
  const shares = a.sortedRoles().map(r => a.dominantShare(r))
  for (let i = 1; i < shares.length; i++) expect(shares[i]!).toBeGreaterThanOrEqual(shares[i - 1]!)
}

/** A task using half of each scalar in the offer (reservations kept), leaving the rest to go back. */
function halfOfScalars(offered: Resources): Resources {
  const scalars = offered.unallocated().list.filter(x => x.type === 'SCALAR')
  return Resources.of(scalars.map(x => ({ ...x, scalar: { value: Math.round(x.scalar!.value * 500) / 1000 } })))
}

function story(seed: number, steps: number): void {
  const rnd = seededRandom(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const h = new AllocatorHarness({ random: seededRandom(seed + 1) })
  const m: Model = { frameworks: new Map(), agents: new Map(), weights: new Map() }
  let nextAgent = 0
  let nextFramework = 0

  const addAgent = () => {
    const id = `ag${nextAgent++}`
    const total = res(pick(SHAPES))
    h.allocator.addAgent(id, { total })
    m.agents.set(id, { total, active: true })
  }
  const addFramework = () => {
    const id = `fw${nextFramework++}`
    const roles = ROLES.filter(() => rnd() < 0.4)
    if (!roles.length) roles.push(pick(ROLES))
    const spec = { roles, gpu: rnd() < 0.3, suppressed: new Set<string>(), active: true }
    h.addFramework(id, { roles, gpuResources: spec.gpu })
    m.frameworks.set(id, spec)
  }
  for (let i = 0; i < 6; i++) addAgent()
  for (let i = 0; i < 3; i++) addFramework()

  for (let step = 0; step < steps; step++) {
    const op = rnd()
    const fids = [...m.frameworks.keys()]
    const aids = [...m.agents.keys()]
    if (op < 0.05) addAgent()
    else if (op < 0.08 && aids.length > 2) {
      const id = pick(aids)
      h.allocator.removeAgent(id)
      m.agents.delete(id)
      for (const o of [...h.offers]) if (o.agentId === id) h.offers.delete(o)
      for (const t of [...h.tasks]) if (t.agentId === id) h.tasks.delete(t)
    } else if (op < 0.12) addFramework()
    else if (op < 0.14 && fids.length > 1) {
      const id = pick(fids)
      h.allocator.removeFramework(id)
      m.frameworks.delete(id)
      for (const o of [...h.offers]) if (o.frameworkId === id) h.offers.delete(o)
      for (const t of [...h.tasks]) if (t.frameworkId === id) h.tasks.delete(t)
    } else if (op < 0.18 && fids.length) {
      const id = pick(fids); const f = m.frameworks.get(id)!
      const role = pick(f.roles)
      if (f.suppressed.has(role)) { h.allocator.revive(id, [role]); f.suppressed.delete(role) }
      else { h.allocator.suppress(id, [role]); f.suppressed.add(role) }
    } else if (op < 0.21 && fids.length) {
      const id = pick(fids); const f = m.frameworks.get(id)!
      f.active = !f.active
      if (f.active) { h.allocator.activateFramework(id) } else { h.allocator.deactivateFramework(id) }
    } else if (op < 0.24 && aids.length) {
      const id = pick(aids); const ag = m.agents.get(id)!
      ag.active = !ag.active
      if (ag.active) { h.allocator.activateAgent(id) } else { h.allocator.deactivateAgent(id) }
    } else if (op < 0.26) {
      const role = pick(ROLES); const w = 1 + Math.floor(rnd() * 3)
      h.allocator.updateWeights({ [role]: w }); m.weights.set(role, w)
    } else if (op < 0.29 && fids.length) {
      const id = pick(fids); const f = m.frameworks.get(id)!
      const roles = ROLES.filter(() => rnd() < 0.5)
      if (!roles.length) roles.push(pick(ROLES))
      f.roles = roles
      f.suppressed = new Set([...f.suppressed].filter(r => roles.includes(r)))
      h.allocator.updateFramework(id, { roles, suppressedRoles: [...f.suppressed], gpuResources: f.gpu })
    } else if (op < 0.55) {
      for (const o of [...h.offers]) {
        const r = rnd()
        if (r < 0.4) h.launch(o, halfOfScalars(o.resources), pick([0, 1, 5, undefined]))
        else if (r < 0.7) h.decline(o, pick([0, 1, 5, 30, -1]))
        else if (r < 0.8) h.rescind(o)
      }
    } else if (op < 0.7 && h.tasks.size) {
      h.finish(pick([...h.tasks]))
    } else if (op < 0.8) {
      h.advance(pick([0.5, 1, 5, 10]))
    } else {
      const before = new Map(aids.map(id => [id, h.allocator.agentAvailable(id)]))
      const offers = h.cycle()
      const seen = new Set<string>()
      for (const o of offers) {
        const key = `${o.frameworkId}|${o.agentId}|${o.role}`
        expect(seen.has(key)).toBe(false)
        seen.add(key)
        checkOffer(m, o, before.get(o.agentId)!)
      }
    }
    checkBooks(h, m)
  }
}

describe('HierarchicalAllocator invariants under random stories', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`seed ${seed}`, () => story(seed, 400))
  }
})

// Incremental allocation: an ordinary cycle looks only at the agents something happened to, a framework-side change
// (new framework, REVIVE, new roles, quota) makes the next cycle walk every agent. Scenarios first, with the offer
// constraint callback as a probe of which agents a cycle looked at; then random stories in which, after every
// incremental cycle, a full pass over every agent must find nothing more to offer (no agent is starved by the
// candidate set).

import { describe, expect, test } from 'bun:test'
import { Resources } from '../../src/core/resources.ts'
import type { Quota } from '../../src/master/allocator/quota.ts'
import { AllocatorHarness, res, seededRandom } from '../../src/master/allocator/harness.ts'

const quota = (guarantees: Record<string, number>, limits: Record<string, number> = guarantees): Quota =>
  ({ guarantees: new Map(Object.entries(guarantees)), limits: new Map(Object.entries(limits)) })

/** A framework whose offer-constraint callback records every agent a cycle considers for it. */
function probed(h: AllocatorHarness, id: string, roles: string[]): Set<string> {
  const seen = new Set<string>()
  h.addFramework(id, { roles, excludesAgent: (_role, agentId) => { seen.add(agentId); return false } })
  return seen
}

describe('incremental allocation', () => {
  test('a full cluster: a finished task is re-offered at the next cycle, which looks at that agent only', () => {
    const h = new AllocatorHarness()
    h.addAgents(50, 'cpus:1;mem:1024;disk:10240;ports:[31000-32000]')
    const seen = probed(h, 'fw', ['r'])
    const first = h.cycle()
    expect(first).toHaveLength(50)
    expect(seen.size).toBe(50)
    // Every agent is filled with one task; what is left (mem, disk, ports) comes back with the accept's 5 s filter.
    const tasks = first.map(o => h.launch(o, 'cpus:1;mem:256'))
    seen.clear()
    expect(h.cycle()).toEqual([])
    expect(seen.size).toBe(50) // each recovery made its agent worth one look; all are filtered
    seen.clear()
    expect(h.cycle()).toEqual([])
    expect(seen.size).toBe(0)

    h.finish(tasks[7]!)
    const again = h.cycle()
    expect(again.map(o => o.agentId)).toEqual([tasks[7]!.agentId])
    expect(again[0]!.resources.scalar('cpus')).toBe(1)
    expect([...seen]).toEqual([tasks[7]!.agentId])
  })

  test('an agent whose rest is below the minimum is not looked at until something changes on it', () => {
    const h = new AllocatorHarness()
    h.addAgents(3, 'cpus:1;mem:1024')
    const seen = probed(h, 'fw', ['r'])
    const tasks = h.cycle().map(o => h.launch(o, 'cpus:1;mem:1000', 0)) // 24 MB left: under mem:32, no cpus
    seen.clear()
    expect(h.cycle()).toEqual([])
    expect(h.cycle()).toEqual([])
    expect(seen.size).toBe(0)
    h.finish(tasks[0]!)
    expect(h.cycle().map(o => o.agentId)).toEqual([tasks[0]!.agentId])
  })

  test('a decline filter: the agent comes back exactly when the filter expires', () => {
    const h = new AllocatorHarness()
    h.addAgents(4, 'cpus:2;mem:2048')
    const seen = probed(h, 'fw', ['r'])
    const offers = h.cycle()
    h.decline(offers[0]!, 5)
    h.decline(offers[1]!, 20)
    expect(h.cycle()).toEqual([])
    seen.clear()
    h.advance(4.999)
    expect(h.cycle()).toEqual([])
    expect(seen.size).toBe(0)
    h.advance(0.001)
    expect(h.cycle().map(o => o.agentId)).toEqual([offers[0]!.agentId])
    h.advance(15)
    expect(h.cycle().map(o => o.agentId)).toEqual([offers[1]!.agentId])
  })

  test('REVIVE makes the next cycle look at every agent again', () => {
    const h = new AllocatorHarness()
    h.addAgents(10, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'] })
    for (const o of h.cycle()) h.decline(o, 3600)
    expect(h.cycle()).toEqual([])
    expect(h.allocator.hasPendingWork(h.now)).toBe(false)
    h.allocator.revive('fw')
    expect(h.allocator.hasPendingWork(h.now)).toBe(true)
    expect(h.cycle()).toHaveLength(10)
  })

  test('a new framework is offered agents the others declined; a re-activated one too', () => {
    const h = new AllocatorHarness()
    h.addAgents(6, 'cpus:2;mem:2048')
    h.addFramework('a', { roles: ['r'] })
    for (const o of h.cycle()) h.decline(o, 3600)
    expect(h.cycle()).toEqual([])
    h.addFramework('b', { roles: ['r'] })
    const toB = h.cycle()
    expect(toB.map(o => o.frameworkId)).toEqual(Array(6).fill('b'))
    for (const o of toB) h.rescind(o)
    h.allocator.deactivateFramework('b')
    expect(h.cycle()).toEqual([])
    h.allocator.activateFramework('b')
    expect(h.cycle()).toHaveLength(6)
  })

  test('a newly added or re-activated agent is offered at the next cycle', () => {
    const h = new AllocatorHarness()
    h.addAgents(3, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'] })
    h.cycle()
    h.allocator.addAgent('late', { total: res('cpus:1;mem:512') })
    expect(h.cycle().map(o => o.agentId)).toEqual(['late'])
    h.allocator.addAgent('away', { total: res('cpus:1;mem:512') })
    h.allocator.deactivateAgent('away')
    expect(h.cycle()).toEqual([])
    h.allocator.activateAgent('away')
    expect(h.cycle().map(o => o.agentId)).toEqual(['away'])
  })

  test('new roles or offer constraints lifted by UPDATE_FRAMEWORK reach agents looked at before', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:2;mem:2048;cpus(b):1')
    h.addFramework('fw', { roles: ['a'], excludesAgent: () => true })
    expect(h.cycle()).toEqual([])
    h.allocator.updateFramework('fw', { roles: ['a'], gpuResources: false })
    expect(h.cycle()).toHaveLength(2)
    h.allocator.updateFramework('fw', { roles: ['a', 'b'], gpuResources: false })
    const reserved = h.cycle()
    expect(reserved.map(o => [o.role, o.resources.scalar('cpus')])).toEqual([['b', 1], ['b', 1]])
  })

  test('with quota, a task ending on one agent makes room for an offer on another at the next cycle', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:4;mem:4096')
    h.addFramework('fw', { roles: ['capped'] })
    h.allocator.updateQuota('capped', quota({}, { cpus: 4, mem: 4096 }))
    const [first] = h.cycle()
    expect(first!.resources.scalar('cpus')).toBe(4)
    const task = h.launch(first!, 'cpus:4;mem:4096')
    expect(h.cycle()).toEqual([]) // at its limit: the other agent is held back
    h.finish(task)
    const next = h.cycle()
    expect(next.reduce((s, o) => s + o.resources.scalar('cpus'), 0)).toBe(4)
    expect(h.cycle()).toEqual([])
  })

  test('removing the last quota lets held-back agents be offered', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:4;mem:4096')
    h.addFramework('web', { roles: ['web'] })
    h.allocator.updateQuota('batch', quota({ cpus: 8, mem: 8192 }))
    expect(h.cycle()).toEqual([])
    h.allocator.removeQuota('batch')
    expect(h.cycle()).toHaveLength(2)
  })
})

// ---- random stories against a full pass ------------------------------------------------------------------------

const ROLES = ['a', 'b', 'a/x']
const SHAPES = [
  'cpus:4;mem:4096;disk:1000;ports:[31000-31100]',
  'cpus:2;mem:8192',
  'cpus:8;mem:2048;gpus:1',
  'cpus:2;mem:2048;cpus(a):2;mem(a):1024',
  'cpus:1;mem:512;cpus(b):1;mem(b):512;cpus(a/x):1',
  'cpus:0.5;mem:40',
]

/** Part of an offer for a task: a random fraction of each scalar, rounded, so what is left is often tiny. */
function someOf(offered: Resources, rnd: () => number): Resources {
  const f = [0.25, 0.5, 0.9, 0.99][Math.floor(rnd() * 4)]!
  const scalars = offered.unallocated().list.filter(x => x.type === 'SCALAR')
  return Resources.of(scalars.map(x => ({ ...x, scalar: { value: Math.floor(x.scalar!.value * f * 1000) / 1000 } })))
    .filter(x => x.scalar!.value > 0)
}

function story(seed: number, steps: number, withQuota: boolean): void {
  const rnd = seededRandom(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const h = new AllocatorHarness({ random: seededRandom(seed + 1) })
  const fws = new Map<string, { roles: string[]; suppressed: Set<string>; gpu: boolean; excluded: Set<string> }>()
  let nextAgent = 0
  let nextFramework = 0
  const spec = (id: string) => {
    const f = fws.get(id)!
    // A fresh callback each time, as the master builds one per UPDATE_FRAMEWORK.
    const excluded = new Set(f.excluded)
    return {
      roles: f.roles, suppressedRoles: [...f.suppressed], gpuResources: f.gpu,
      excludesAgent: excluded.size ? (_: string, agentId: string) => excluded.has(agentId) : undefined,
    }
  }
  const addAgent = () => h.allocator.addAgent(`ag${nextAgent++}`, { total: res(pick(SHAPES)) })
  const agentIds = () => Array.from({ length: nextAgent }, (_, i) => `ag${i}`).filter(id => !h.allocator.agentAvailable(id).isEmpty || !h.allocator.agentAllocated(id).isEmpty)
  const addFramework = () => {
    const id = `fw${nextFramework++}`
    const roles = ROLES.filter(() => rnd() < 0.5)
    if (!roles.length) roles.push(pick(ROLES))
    fws.set(id, { roles, suppressed: new Set(), gpu: rnd() < 0.3, excluded: new Set() })
    h.allocator.addFramework(id, spec(id))
  }
  const dropOffersAndTasks = (match: (x: { agentId: string; frameworkId: string }) => boolean) => {
    for (const o of [...h.offers]) if (match(o)) h.offers.delete(o)
    for (const t of [...h.tasks]) if (match(t)) h.tasks.delete(t)
  }
  for (let i = 0; i < 8; i++) addAgent()
  for (let i = 0; i < 3; i++) addFramework()
  if (withQuota) h.allocator.updateQuota('a', quota({ cpus: 3, mem: 2048 }, { cpus: 6, mem: 8192 }))

  for (let step = 0; step < steps; step++) {
    const op = rnd()
    const fids = [...fws.keys()]
    const aids = agentIds()
    if (op < 0.04) addAgent()
    else if (op < 0.06 && aids.length > 2) {
      const id = pick(aids)
      h.allocator.removeAgent(id)
      dropOffersAndTasks(x => x.agentId === id)
    } else if (op < 0.09) addFramework()
    else if (op < 0.1 && fids.length > 1) {
      const id = pick(fids)
      h.allocator.removeFramework(id)
      fws.delete(id)
      dropOffersAndTasks(x => x.frameworkId === id)
    } else if (op < 0.14 && fids.length) {
      const id = pick(fids); const f = fws.get(id)!
      const role = pick(f.roles)
      if (f.suppressed.has(role)) { h.allocator.revive(id, [role]); f.suppressed.delete(role) }
      else if (rnd() < 0.5) { h.allocator.suppress(id, [role]); f.suppressed.add(role) }
      else h.allocator.revive(id)
    } else if (op < 0.17 && fids.length) {
      const id = pick(fids)
      if (rnd() < 0.5) h.allocator.deactivateFramework(id)
      else h.allocator.activateFramework(id)
    } else if (op < 0.2 && aids.length) {
      const id = pick(aids)
      if (rnd() < 0.5) h.allocator.deactivateAgent(id)
      else h.allocator.activateAgent(id)
    } else if (op < 0.22 && aids.length) {
      h.allocator.updateAgentTotal(pick(aids), res(pick(SHAPES)).plus(res('cpus:8;mem:8192')))
    } else if (op < 0.25 && fids.length) {
      const id = pick(fids); const f = fws.get(id)!
      const roles = ROLES.filter(() => rnd() < 0.5)
      if (!roles.length) roles.push(pick(ROLES))
      f.roles = roles
      f.suppressed = new Set([...f.suppressed].filter(r => roles.includes(r)))
      f.excluded = new Set(aids.filter(() => rnd() < 0.3))
      h.allocator.updateFramework(id, spec(id))
    } else if (op < 0.27) {
      h.allocator.updateWeights({ [pick(ROLES)]: 1 + Math.floor(rnd() * 3) })
    } else if (op < 0.29 && withQuota) {
      const cpus = 1 + Math.floor(rnd() * 8)
      h.allocator.updateQuota(pick(['a', 'b']), rnd() < 0.3 ? quota({}, {}) : quota({ cpus: cpus / 2 }, { cpus }))
    } else if (op < 0.55) {
      for (const o of [...h.offers]) {
        const r = rnd()
        if (r < 0.5) {
          const task = someOf(o.resources, rnd)
          if (task.isEmpty) h.decline(o, 1)
          else h.launch(o, task, pick([0, 1, 5, undefined]))
        } else if (r < 0.8) h.decline(o, pick([0, 1, 5, 30, -1]))
        else if (r < 0.9) h.rescind(o)
      }
    } else if (op < 0.72 && h.tasks.size) {
      h.finish(pick([...h.tasks]))
    } else if (op < 0.85) {
      h.advance(pick([0.5, 1, 5, 10, 31]))
    }
    // The master runs a cycle after every event (batched per turn); whatever it leaves, a cycle over every agent must
    // not be able to offer: that is what a non-incremental allocator would have offered and this one did not.
    h.cycle()
    const missed = h.allocator.allocate(h.now, { everyAgent: true })
    if (missed.length) {
      throw new Error(`seed ${seed} step ${step}: a full pass still offers ${missed.map(o => `${o.resources} on ${o.agentId} to ${o.frameworkId}/${o.role}`).join(', ')}`)
    }
  }
}

describe('incremental cycles reach what a full pass would offer', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) test(`seed ${seed}`, () => story(seed, 400, false))
  for (const seed of [11, 12, 13, 14]) test(`seed ${seed}, with quota`, () => story(seed, 300, true))
})

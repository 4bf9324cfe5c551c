// Quota in the allocator (Mesos 1.9+ guarantees and limits): scenarios first, then random stories checked after every
// cycle against a model that counts consumed quota on its own (reservations + unreserved offers and tasks).

import { describe, expect, test } from 'bun:test'
import { reservationRole, Resources } from '../../src/core/resources.ts'
import { AllocatorHarness, res, seededRandom } from '../../src/master/allocator/harness.ts'
import { shrinkTo, type Quota } from '../../src/master/allocator/quota.ts'

const quota = (guarantees: Record<string, number>, limits: Record<string, number> = guarantees): Quota =>
  ({ guarantees: new Map(Object.entries(guarantees)), limits: new Map(Object.entries(limits)) })

const sumOffered = (h: AllocatorHarness, role: string, name: string) =>
  [...h.offers].filter(o => o.role === role).reduce((s, o) => s + o.resources.scalar(name), 0)

describe('quota guarantees', () => {
  test('a guaranteed role gets its guarantee under contention from a busier non-quota role', () => {
    const h = new AllocatorHarness()
    h.addAgents(4, 'cpus:4;mem:4096')
    // Many frameworks in `web` would take every agent under plain DRF before `batch` got a turn on most of them.
    for (let i = 0; i < 10; i++) h.addFramework(`web-${i}`, { roles: ['web'] })
    h.addFramework('batch-0', { roles: ['batch'] })
    h.allocator.updateQuota('batch', quota({ cpus: 10, mem: 8192 }, {}))
    h.cycle()
    expect(sumOffered(h, 'batch', 'cpus')).toBeGreaterThanOrEqual(10)
    expect(sumOffered(h, 'batch', 'mem')).toBeGreaterThanOrEqual(8192)
    expect(h.allocator.quotaConsumed().get('batch')!.get('cpus')).toBeGreaterThanOrEqual(10)
  })

  test('headroom: unmet guarantees are held back from other roles until the quota role shows up', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:4;mem:4096')
    h.addFramework('web', { roles: ['web'] })
    h.allocator.updateQuota('batch', quota({ cpus: 3, mem: 1024 }, {}))
    h.cycle()
    // web may have 8 − 3 cpus and 8192 − 1024 mem, never more.
    expect(sumOffered(h, 'web', 'cpus')).toBe(5)
    expect(sumOffered(h, 'web', 'mem')).toBe(7168)
    h.addFramework('batch', { roles: ['batch'] })
    h.cycle()
    expect(sumOffered(h, 'batch', 'cpus')).toBe(3)
    expect(sumOffered(h, 'batch', 'mem')).toBe(1024)
  })

  test('removing the quota releases the headroom', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:4;mem:4096')
    h.addFramework('web', { roles: ['web'] })
    h.allocator.updateQuota('batch', quota({ cpus: 4, mem: 4096 }))
    expect(h.cycle()).toEqual([])
    h.allocator.removeQuota('batch')
    expect(h.allocator.hasPendingWork(h.now)).toBe(true)
    expect(h.cycle().map(o => o.resources.scalar('cpus'))).toEqual([4])
  })
})

describe('quota limits', () => {
  test('offers stop at the limit: an agent is chopped, later cycles offer nothing more', () => {
    const h = new AllocatorHarness()
    h.addAgents(3, 'cpus:4;mem:4096;ports:[31000-31010]')
    h.addFramework('a', { roles: ['capped'] })
    h.allocator.updateQuota('capped', quota({}, { cpus: 6 }))
    const offers = h.cycle()
    expect(offers.reduce((s, o) => s + o.resources.scalar('cpus'), 0)).toBe(6)
    // Memory has no limit and non-scalars always go along.
    expect(offers.reduce((s, o) => s + o.resources.scalar('mem'), 0)).toBe(12288)
    for (const o of offers) expect(o.resources.ranges('ports').length).toBe(1)
    h.advance(1)
    const next = h.cycle()
    expect(next.reduce((s, o) => s + o.resources.scalar('cpus'), 0)).toBe(0)
    // Declining gives the room back.
    const first = offers[0]!
    h.decline(first, 0)
    expect(h.cycle().reduce((s, o) => s + o.resources.scalar('cpus'), 0)).toBe(first.resources.scalar('cpus'))
  })

  test('limits cover sub-roles of the role with quota', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:4;mem:4096')
    h.addFramework('child', { roles: ['eng/dev'] })
    h.addFramework('parent', { roles: ['eng'] })
    h.allocator.updateQuota('eng', quota({}, { cpus: 5 }))
    h.cycle()
    expect(sumOffered(h, 'eng', 'cpus') + sumOffered(h, 'eng/dev', 'cpus')).toBe(5)
  })

  test('reservations count against quota: a role with 2 reserved cpus and a 3 cpu limit gets 1 unreserved cpu', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:4;mem:4096;cpus(db):2')
    h.addFramework('db', { roles: ['db'] })
    h.allocator.updateQuota('db', quota({ cpus: 2 }, { cpus: 3 }))
    expect(h.allocator.quotaConsumed().get('db')!.get('cpus')).toBe(2)
    const [offer] = h.cycle()
    expect(offer!.resources.scalar('cpus')).toBe(3)
    expect(offer!.resources.list.filter(r => r.name === 'cpus' && reservationRole(r) === 'db')[0]!.scalar!.value).toBe(2)
  })

  test('an unused reservation still satisfies the guarantee, so no headroom is held for it', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048;cpus(db):2;mem(db):1024')
    h.addFramework('web', { roles: ['web'] })
    h.allocator.updateQuota('db', quota({ cpus: 2, mem: 1024 }, {}))
    h.cycle()
    expect(sumOffered(h, 'web', 'cpus')).toBe(2)
    expect(sumOffered(h, 'web', 'mem')).toBe(2048)
  })
})

test('shrinkTo chops scalars to a target; absent names are dropped for quantities and kept for limits', () => {
  const r = res('cpus:4;mem:1024;disk:100')
  expect(shrinkTo(r, new Map([['cpus', 1.5]]), 'drop').equals(res('cpus:1.5'))).toBe(true)
  expect(shrinkTo(r, new Map([['cpus', 1.5]]), 'keep').equals(res('cpus:1.5;mem:1024;disk:100'))).toBe(true)
  expect(shrinkTo(r, new Map([['cpus', 0]]), 'keep').equals(res('mem:1024;disk:100'))).toBe(true)
})

// ---- random stories -------------------------------------------------------------------------------------------------

const ROLES = ['q1', 'q2', 'q3/sub', 'free1', 'free2']
const QUOTA_ROLES = ['q1', 'q2', 'q3']
const SHAPES = ['cpus:4;mem:4096;disk:100', 'cpus:2;mem:1024', 'cpus:8;mem:2048;ports:[31000-31009]', 'cpus:2;mem:1024;cpus(q1):1;mem(q1):512', 'cpus:2;mem:2048;cpus(free1):1']

const top = (role: string) => role.split('/')[0]!

/** Consumed quota as the model sees it: reservations in agents' totals plus unreserved scalars offered or in use. */
function modelConsumed(h: AllocatorHarness, totals: Resources[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>()
  const add = (role: string, name: string, v: number) => {
    const m = out.get(top(role)) ?? new Map<string, number>()
    out.set(top(role), m)
    m.set(name, Math.round(((m.get(name) ?? 0) + v) * 1000) / 1000)
  }
  for (const t of totals) for (const r of t.list) if (r.type === 'SCALAR' && reservationRole(r) !== '*') add(reservationRole(r), r.name, r.scalar!.value)
  for (const held of [...h.offers, ...h.tasks]) {
    for (const r of held.resources.list) if (r.type === 'SCALAR' && reservationRole(r) === '*') add(held.role, r.name, r.scalar!.value)
  }
  return out
}

describe('random stories keep quota invariants', () => {
  for (let seed = 1; seed <= 25; seed++) {
    test(`seed ${seed}`, () => {
      const rnd = seededRandom(seed)
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!
      const h = new AllocatorHarness({ random: seededRandom(seed * 7) })
      const totals: Resources[] = []
      const agentCount = 3 + Math.floor(rnd() * 6)
      for (let i = 0; i < agentCount; i++) {
        const total = res(pick(SHAPES))
        totals.push(total)
        h.allocator.addAgent(`agent-${i}`, { total })
      }
      const capacity = (name: string) => totals.reduce((s, t) => s + t.unreserved().scalar(name), 0)
      const reserved = (role: string, name: string) =>
        totals.reduce((s, t) => s + t.list.filter(r => r.name === name && top(reservationRole(r)) === role).reduce((x, r) => x + r.scalar!.value, 0), 0)

      // Guarantees in whole cpus and 64 MB steps (so no chopped piece falls under the minimum allocatable), and in
      // total within what the cluster has unreserved; limits at or above both the guarantee and the reservations.
      const quotas = new Map<string, Quota>()
      let cpusLeft = capacity('cpus')
      let memLeft = capacity('mem')
      for (const role of QUOTA_ROLES) {
        if (rnd() < 0.2) continue
        const g: Record<string, number> = {}
        const gc = Math.floor(rnd() * Math.min(6, cpusLeft + 1))
        const gm = 64 * Math.floor(rnd() * Math.min(40, memLeft / 64 + 1))
        if (gc > 0) g.cpus = gc
        if (gm > 0) g.mem = gm
        cpusLeft -= gc
        memLeft -= gm
        const l: Record<string, number> = {}
        if (rnd() < 0.7) l.cpus = Math.max(gc, reserved(role, 'cpus')) + Math.floor(rnd() * 4)
        if (rnd() < 0.5) l.mem = Math.max(gm, reserved(role, 'mem')) + 64 * Math.floor(rnd() * 20)
        const q = quota(g, l)
        quotas.set(role, q)
        h.allocator.updateQuota(role, q)
      }
      const fws: string[] = []
      for (let i = 0; i < 2 + Math.floor(rnd() * 6); i++) {
        const id = `fw-${i}`
        h.addFramework(id, { roles: [pick(ROLES)] })
        fws.push(id)
      }
      // Every quota role that has something to guarantee gets a framework, so guarantees can be checked.
      for (const role of QUOTA_ROLES) {
        const id = `fw-${role}`
        h.addFramework(id, { roles: [role === 'q3' ? 'q3/sub' : role] })
        fws.push(id)
      }

      const check = () => {
        const consumed = modelConsumed(h, totals)
        expect(h.allocator.quotaConsumed()).toEqual(new Map([...consumed].filter(([role]) => quotas.has(role))))
        let requiredCpus = 0
        let requiredMem = 0
        for (const [role, q] of quotas) {
          const c = consumed.get(role)
          // Limits are never exceeded.
          for (const [name, limit] of q.limits) expect(c?.get(name) ?? 0).toBeLessThanOrEqual(limit + 1e-9)
          // Guarantees are met (the cluster can meet them all and every quota role has an unfiltered framework).
          for (const [name, g] of q.guarantees) expect(c?.get(name) ?? 0).toBeGreaterThanOrEqual(g - 1e-9)
          requiredCpus += Math.max(0, (q.guarantees.get('cpus') ?? 0) - (c?.get('cpus') ?? 0))
          requiredMem += Math.max(0, (q.guarantees.get('mem') ?? 0) - (c?.get('mem') ?? 0))
        }
        // Headroom: what is left unreserved and unallocated still covers the unmet guarantees.
        let freeCpus = 0
        let freeMem = 0
        for (let i = 0; i < agentCount; i++) {
          const free = h.allocator.agentAvailable(`agent-${i}`).unreserved()
          freeCpus += free.scalar('cpus')
          freeMem += free.scalar('mem')
        }
        expect(freeCpus + 1e-9).toBeGreaterThanOrEqual(requiredCpus)
        expect(freeMem + 1e-9).toBeGreaterThanOrEqual(requiredMem)
      }

      h.cycle()
      check()
      for (let step = 0; step < 30; step++) {
        const offers = [...h.offers]
        const tasks = [...h.tasks]
        const r = rnd()
        if (r < 0.35 && offers.length) {
          // A task using the whole offer.
          h.launch(pick(offers), undefined, 0)
        } else if (r < 0.6 && offers.length) {
          h.decline(pick(offers), 0)
        } else if (r < 0.85 && tasks.length) {
          h.finish(pick(tasks))
        } else {
          h.advance(1)
        }
        h.cycle()
        check()
      }
    })
  }
})

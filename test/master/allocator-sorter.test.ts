import { describe, expect, test } from 'bun:test'
import { seededRandom } from '../../src/master/allocator/harness.ts'
import { DRFSorter } from '../../src/master/allocator/sorter.ts'

const q = (o: Record<string, number>) => new Map(Object.entries(o))

function sorterWith(total: Record<string, number>, clients: string[]): DRFSorter {
  const s = new DRFSorter()
  s.addTotal(q(total))
  for (const c of clients) s.add(c)
  return s
}

describe('DRFSorter', () => {
  test('orders by dominant share: the larger of the per-resource fractions', () => {
    const s = sorterWith({ cpus: 10, mem: 1000 }, ['a', 'b', 'c'])
    s.allocated('a', q({ cpus: 1, mem: 500 })) // dominant: mem 0.5
    s.allocated('b', q({ cpus: 4, mem: 10 })) // dominant: cpus 0.4
    expect(s.sort()).toEqual(['c', 'b', 'a'])
    expect(s.share('a')).toBeCloseTo(0.5)
    expect(s.share('b')).toBeCloseTo(0.4)
    expect(s.share('c')).toBe(0)
  })

  test('equal shares are ordered by name', () => {
    const s = sorterWith({ cpus: 10 }, ['zeta', 'alpha', 'mid'])
    expect(s.sort()).toEqual(['alpha', 'mid', 'zeta'])
    s.allocated('alpha', q({ cpus: 1 }))
    s.allocated('zeta', q({ cpus: 1 }))
    expect(s.sort()).toEqual(['mid', 'alpha', 'zeta'])
  })

  test('weights divide the share', () => {
    const s = sorterWith({ cpus: 12 }, ['a', 'b'])
    s.updateWeight('a', 2)
    s.allocated('a', q({ cpus: 6 })) // 0.5 / 2
    s.allocated('b', q({ cpus: 4 })) // 0.333
    expect(s.sort()).toEqual(['a', 'b'])
    expect(s.share('a')).toBeCloseTo(0.25)
    expect(() => s.updateWeight('a', 0)).toThrow(RangeError)
    expect(() => s.add('c', { weight: -1 })).toThrow(RangeError)
  })

  test('resource names missing from the total do not count', () => {
    const s = sorterWith({ cpus: 10 }, ['a', 'b'])
    s.allocated('a', q({ cpus: 1, foo: 100 }))
    s.allocated('b', q({ cpus: 2 }))
    expect(s.sort()).toEqual(['a', 'b'])
    expect(s.share('a')).toBeCloseTo(0.1)
  })

  test('a change of the total moves every share', () => {
    const s = sorterWith({ cpus: 10, mem: 100 }, ['cpu-heavy', 'mem-heavy'])
    s.allocated('cpu-heavy', q({ cpus: 5 }))
    s.allocated('mem-heavy', q({ mem: 40 }))
    expect(s.sort()).toEqual(['mem-heavy', 'cpu-heavy'])
    s.addTotal(q({ cpus: 90 })) // cpus now plentiful
    expect(s.sort()).toEqual(['cpu-heavy', 'mem-heavy'])
    expect(s.share('cpu-heavy')).toBeCloseTo(0.05)
    s.removeTotal(q({ cpus: 90 }))
    expect(s.sort()).toEqual(['mem-heavy', 'cpu-heavy'])
    expect(s.total()).toEqual(q({ cpus: 10, mem: 100 }))
  })

  test('inactive clients keep their allocation but are not sorted', () => {
    const s = sorterWith({ cpus: 10 }, ['a', 'b'])
    s.allocated('a', q({ cpus: 3 }))
    s.deactivate('a')
    expect(s.sort()).toEqual(['b'])
    expect(s.isActive('a')).toBe(false)
    s.allocated('b', q({ cpus: 5 }))
    s.activate('a')
    expect(s.sort()).toEqual(['a', 'b'])
    expect(s.allocation('a')).toEqual(q({ cpus: 3 }))
    s.add('c', { active: false })
    expect(s.sort()).toEqual(['a', 'b'])
    expect(s.size).toBe(3)
  })

  test('unallocated gives back, never below zero; remove forgets the client', () => {
    const s = sorterWith({ cpus: 10 }, ['a', 'b'])
    s.allocated('a', q({ cpus: 4 }))
    s.unallocated('a', q({ cpus: 1 }))
    expect(s.allocation('a')).toEqual(q({ cpus: 3 }))
    s.unallocated('a', q({ cpus: 10 }))
    expect(s.allocation('a')).toEqual(q({}))
    s.remove('a')
    expect(s.contains('a')).toBe(false)
    expect(s.sort()).toEqual(['b'])
    expect(() => s.allocated('a', q({ cpus: 1 }))).toThrow()
    expect(() => s.add('b')).toThrow()
  })

  test('fixed-point amounts: many small allocations tie exactly with one big one', () => {
    const s = sorterWith({ cpus: 10 }, ['b', 'a'])
    for (let i = 0; i < 10; i++) s.allocated('a', q({ cpus: 0.1 }))
    s.allocated('b', q({ cpus: 1 }))
    expect(s.share('a')).toBe(s.share('b'))
    expect(s.sort()).toEqual(['a', 'b'])
  })

  test('sort() returns a copy that later changes do not touch', () => {
    const s = sorterWith({ cpus: 10 }, ['a', 'b'])
    const copy = s.sort()
    s.allocated('a', q({ cpus: 1 }))
    expect(copy).toEqual(['a', 'b'])
    expect(s.sorted()).toEqual(['b', 'a'])
  })

  test('incremental order matches a from-scratch sort under random operations', () => {
    const rnd = seededRandom(42)
    const names = Array.from({ length: 60 }, (_, i) => `c${String(i).padStart(2, '0')}`)
    const s = new DRFSorter()
    const alloc = new Map<string, { cpus: number; mem: number }>()
    const weight = new Map<string, number>()
    const active = new Set<string>()
    let total = { cpus: 100, mem: 10_000 }
    s.addTotal(q(total))
    for (const n of names) { s.add(n); alloc.set(n, { cpus: 0, mem: 0 }); weight.set(n, 1); active.add(n) }

    const expected = () => [...active].map(n => {
      const a = alloc.get(n)!
      return { n, share: Math.max(a.cpus / total.cpus, a.mem / total.mem) / weight.get(n)! }
    }).sort((x, y) => x.share - y.share || (x.n < y.n ? -1 : 1)).map(x => x.n)

    for (let step = 0; step < 3000; step++) {
      const n = names[Math.floor(rnd() * names.length)]!
      const op = rnd()
      const a = alloc.get(n)!
      if (op < 0.45) {
        const d = { cpus: Math.round(rnd() * 4) / 2, mem: Math.round(rnd() * 512) }
        s.allocated(n, q(d)); a.cpus += d.cpus; a.mem += d.mem
      } else if (op < 0.75) {
        const d = { cpus: Math.min(a.cpus, 1), mem: Math.min(a.mem, 256) }
        s.unallocated(n, q(d)); a.cpus -= d.cpus; a.mem -= d.mem
      } else if (op < 0.85) {
        if (active.has(n)) { s.deactivate(n); active.delete(n) } else { s.activate(n); active.add(n) }
      } else if (op < 0.93) {
        const w = 1 + Math.floor(rnd() * 3); s.updateWeight(n, w); weight.set(n, w)
      } else {
        const d = { cpus: 10, mem: 1000 }
        if (rnd() < 0.5 && total.cpus > 50) { s.removeTotal(q(d)); total = { cpus: total.cpus - 10, mem: total.mem - 1000 } }
        else { s.addTotal(q(d)); total = { cpus: total.cpus + 10, mem: total.mem + 1000 } }
      }
      // Read the order only sometimes so that changes also pile up between sorts.
      if (step % 7 === 0) expect(s.sort()).toEqual(expected())
    }
    expect(s.sort()).toEqual(expected())
  })

  test('1,000 clients: an allocation and a re-sort stay cheap', () => {
    const s = new DRFSorter()
    s.addTotal(q({ cpus: 100_000, mem: 1e8 }))
    for (let i = 0; i < 1000; i++) s.add(`fw-${i}`)
    s.sorted()
    const t0 = performance.now()
    for (let i = 0; i < 20_000; i++) {
      const c = s.sorted()[0]!
      s.allocated(c, q({ cpus: 1, mem: 1024 }))
    }
    const ms = performance.now() - t0
    // Every client got 20 allocations: DRF keeps them level.
    expect(s.share('fw-0')).toBeCloseTo(s.share('fw-999'))
    expect(ms).toBeLessThan(2000) // generous: about 20 ms on a laptop; guards against quadratic regressions
  })
})

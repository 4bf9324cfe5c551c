import { describe, expect, test } from 'bun:test'
import { DEFAULT_REFUSE_SECONDS, MAX_REFUSE_SECONDS, OfferFilters, refuseSeconds } from '../../src/master/allocator/filters.ts'
import { res } from '../../src/master/allocator/harness.ts'

describe('refuseSeconds', () => {
  test('reads Filters.refuse_seconds as Mesos does', () => {
    expect(refuseSeconds(undefined)).toBe(DEFAULT_REFUSE_SECONDS)
    expect(refuseSeconds(-3)).toBe(5)
    expect(refuseSeconds(Number.NaN)).toBe(5)
    expect(refuseSeconds(0)).toBe(0)
    expect(refuseSeconds(0.5)).toBe(0.5)
    expect(refuseSeconds(60)).toBe(60)
    expect(refuseSeconds(1e12)).toBe(MAX_REFUSE_SECONDS)
    expect(refuseSeconds(Number.POSITIVE_INFINITY)).toBe(31_536_000)
  })
})

describe('OfferFilters', () => {
  const declined = res('cpus:2;mem:1024;ports:[31000-31010]')

  test('refuses offers contained in the refused resources, only for that framework, role and agent', () => {
    const f = new OfferFilters()
    f.add('fw', 'web', 'a1', declined, 5000)
    expect(f.isFiltered('fw', 'web', 'a1', declined, 0)).toBe(true)
    expect(f.isFiltered('fw', 'web', 'a1', res('cpus:1;mem:512'), 0)).toBe(true)
    // Anything more than was refused (freed since) is offered again.
    expect(f.isFiltered('fw', 'web', 'a1', res('cpus:3;mem:1024'), 0)).toBe(false)
    expect(f.isFiltered('fw', 'web', 'a1', res('cpus:1;disk:10'), 0)).toBe(false)
    expect(f.isFiltered('fw', 'web', 'a1', res('cpus:1;ports:[31011-31011]'), 0)).toBe(false)
    expect(f.isFiltered('other', 'web', 'a1', declined, 0)).toBe(false)
    expect(f.isFiltered('fw', 'db', 'a1', declined, 0)).toBe(false)
    expect(f.isFiltered('fw', 'web', 'a2', declined, 0)).toBe(false)
  })

  test('expire drops filters whose time is up, in any insertion order', () => {
    const f = new OfferFilters()
    const times = [9000, 1000, 5000, 3000, 7000, 5000, 2000]
    times.forEach((t, i) => f.add('fw', 'r', `a${i}`, declined, t))
    expect(f.count()).toBe(7)
    expect(f.nextExpiry()).toBe(1000)
    expect(f.isFiltered('fw', 'r', 'a1', declined, 999)).toBe(true)
    // Past its time a filter no longer refuses, even before expire() tidies it away.
    expect(f.isFiltered('fw', 'r', 'a1', declined, 1000)).toBe(false)
    expect(f.expire(4999)).toBe(3)
    expect(f.count()).toBe(4)
    expect(f.nextExpiry()).toBe(5000)
    expect(f.expire(5000)).toBe(2)
    expect(f.expire(100_000)).toBe(2)
    expect(f.count()).toBe(0)
    expect(f.nextExpiry()).toBeUndefined()
  })

  test('counts per role; removal by framework (some roles or all) and by agent', () => {
    const f = new OfferFilters()
    f.add('fw1', 'a', 'ag1', declined, 10)
    f.add('fw1', 'a', 'ag2', declined, 10)
    f.add('fw1', 'b', 'ag1', declined, 10)
    f.add('fw2', 'a', 'ag1', declined, 10)
    expect([f.count(), f.count('a'), f.count('b'), f.count('c')]).toEqual([4, 3, 1, 0])
    f.removeFramework('fw1', ['a'])
    expect([f.count(), f.count('a'), f.count('b')]).toEqual([2, 1, 1])
    f.removeAgent('ag1')
    expect(f.count()).toBe(0)
    f.add('fw1', 'a', 'ag1', declined, 10)
    f.add('fw1', 'b', 'ag1', declined, 10)
    f.removeFramework('fw1')
    expect(f.count()).toBe(0)
    expect(f.list()).toEqual([])
    // Removed filters left in the heap do not come back on expiry.
    expect(f.expire(100)).toBe(0)
  })

  test('the same filter installed again and again keeps one lookup entry, every filter still counted', () => {
    const f = new OfferFilters()
    const left = res('mem:704;disk:10240;ports:[31000-32000]')
    // A framework accepting part of each offer on a busy agent: the same rest comes back with a fresh 5 s filter.
    for (let t = 0; t < 50; t++) f.add('fw', 'r', 'a1', left, t * 100 + 5000)
    const lookup = (f as unknown as { byAgent: Map<string, unknown[]> }).byAgent
    expect(lookup.get('a1')).toHaveLength(1)
    expect(f.count()).toBe(50)
    expect(f.isFiltered('fw', 'r', 'a1', res('mem:704;ports:[31000-31000]'), 9899)).toBe(true)
    expect(f.isFiltered('fw', 'r', 'a1', res('mem:704'), 9900)).toBe(false)
    // A narrower or shorter filter than one in force adds nothing to the lookup; a wider and longer one replaces it.
    f.add('fw', 'r', 'a1', res('mem:100'), 6000)
    expect(lookup.get('a1')).toHaveLength(1)
    f.add('fw', 'r', 'a1', res('mem:1024;disk:10240;ports:[31000-32000]'), 20_000)
    expect(lookup.get('a1')).toHaveLength(1)
    expect(f.isFiltered('fw', 'r', 'a1', res('mem:1000'), 19_999)).toBe(true)
    // Other resources, another role: their own entries.
    f.add('fw', 'r', 'a1', res('cpus:1'), 1000)
    f.add('fw', 'other', 'a1', left, 30_000)
    expect(lookup.get('a1')).toHaveLength(3)
    expect(f.count()).toBe(54)
    // Expiry and removal see shadowed filters too.
    const expired: string[] = []
    expect(f.expire(9900, e => expired.push(e.agentId))).toBe(52)
    expect(expired).toHaveLength(52)
    expect(f.count()).toBe(2)
    f.removeAgent('a1')
    expect(f.count()).toBe(0)
    expect(lookup.size).toBe(0)
  })

  test('many revived long filters do not grow the heap without bound', () => {
    const f = new OfferFilters()
    for (let i = 0; i < 20_000; i++) {
      f.add('fw', 'r', `a${i % 10}`, declined, 1e12 + i)
      if (i % 10 === 9) f.removeFramework('fw')
    }
    expect(f.count()).toBe(0)
    expect((f as unknown as { heap: unknown[] }).heap.length).toBeLessThan(3000)
  })
})

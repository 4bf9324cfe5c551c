// Marathon's constraint operators over hostnames and attributes, judged against the app's placed tasks.

import { describe, expect, test } from 'bun:test'
import { meetsConstraint, placementOf, type Constraint, type Placement } from '../../../src/master/services/constraints.ts'

const at = (hostname: string, attributes: Record<string, string> = {}): Placement => ({ hostname, attributes })
const ok = (offer: Placement, placed: Placement[], c: Constraint) => meetsConstraint(offer, placed, c)

describe('constraints', () => {
  test('UNIQUE on hostname and on an attribute', () => {
    expect(ok(at('a'), [at('b')], ['hostname', 'UNIQUE'])).toBe(true)
    expect(ok(at('a'), [at('a')], ['hostname', 'UNIQUE'])).toBe(false)
    expect(ok(at('a', { rack: '1' }), [at('b', { rack: '1' })], ['rack', 'UNIQUE'])).toBe(false)
    // An agent without the attribute fails everything but UNLIKE.
    expect(ok(at('a'), [], ['rack', 'UNIQUE'])).toBe(false)
    expect(ok(at('a'), [], ['rack', 'UNLIKE', 'x'])).toBe(true)
  })
  test('CLUSTER with and without a value', () => {
    expect(ok(at('a', { rack: '1' }), [], ['rack', 'CLUSTER', '1'])).toBe(true)
    expect(ok(at('a', { rack: '2' }), [], ['rack', 'CLUSTER', '1'])).toBe(false)
    expect(ok(at('a', { rack: '2' }), [], ['rack', 'CLUSTER'])).toBe(true)
    expect(ok(at('a', { rack: '2' }), [at('b', { rack: '1' })], ['rack', 'CLUSTER'])).toBe(false)
  })
  test('GROUP_BY spreads over values; with a count, unseen values first', () => {
    const placed = [at('a', { az: '1' }), at('b', { az: '2' }), at('c', { az: '1' })]
    expect(ok(at('d', { az: '1' }), placed, ['az', 'GROUP_BY'])).toBe(false)
    expect(ok(at('d', { az: '2' }), placed, ['az', 'GROUP_BY'])).toBe(true)
    expect(ok(at('d', { az: '2' }), [at('a', { az: '2' })], ['az', 'GROUP_BY', '2'])).toBe(false)
    expect(ok(at('d', { az: '3' }), [at('a', { az: '2' })], ['az', 'GROUP_BY', '2'])).toBe(true)
  })
  test('LIKE / UNLIKE match the whole value; MAX_PER; IS', () => {
    expect(ok(at('web-1'), [], ['hostname', 'LIKE', 'web-[0-9]'])).toBe(true)
    expect(ok(at('xweb-1'), [], ['hostname', 'LIKE', 'web-[0-9]'])).toBe(false)
    expect(ok(at('web-1'), [], ['hostname', 'UNLIKE', 'web.*'])).toBe(false)
    expect(ok(at('a', { rack: '1' }), [at('b', { rack: '1' })], ['rack', 'MAX_PER', '2'])).toBe(true)
    expect(ok(at('a', { rack: '1' }), [at('b', { rack: '1' }), at('c', { rack: '1' })], ['rack', 'MAX_PER', '2'])).toBe(false)
    expect(ok(at('a', { os: 'linux' }), [], ['os', 'IS', 'linux'])).toBe(true)
  })
  test('attribute values as Marathon renders them', () => {
    const p = placementOf({ hostname: 'h', attributes: [{ name: 'n', type: 'SCALAR', scalar: { value: 2 } }, { name: 'r', type: 'RANGES', ranges: { range: [{ begin: 1, end: 3 }] } }, { name: 's', type: 'SET', set: { item: ['a', 'b'] } }, { name: 't', type: 'TEXT', text: { value: 'x' } }] } as any)
    expect(p).toEqual({ hostname: 'h', attributes: { n: '2', r: '[1-3]', s: '{a,b}', t: 'x' } })
  })
})

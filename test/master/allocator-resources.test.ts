// The allocator's hot paths lean on three shortcuts in `Resources` (plus into an empty bag, allocatedTo and
// unallocated without re-normalizing). These check they give exactly what the plain definitions give.

import { describe, expect, test } from 'bun:test'
import { parseResourcesFlag, Resources, type Resource } from '../../src/core/resources.ts'

const slowAllocatedTo = (r: Resources, role: string) => Resources.of(r.list.map(x => ({ ...x, allocation_info: { role } })))
const slowUnallocated = (r: Resources) => Resources.of(r.list.map(x => { const c = { ...x }; delete c.allocation_info; return c }))

const samples: Resources[] = [
  Resources.EMPTY,
  Resources.of(parseResourcesFlag('cpus:4;mem:4096;disk:100;ports:[31000-31005,32000-32001];gpus:1')),
  Resources.of(parseResourcesFlag('cpus:1.5;cpus(a):2;mem(a/b):512;disks:{x,y}')),
  Resources.of([
    { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: 'r1' } },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, allocation_info: { role: 'r2' } },
    { name: 'cpus', type: 'SCALAR', scalar: { value: 0.25 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 1, end: 5 }] }, allocation_info: { role: 'r1' } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 4, end: 9 }] } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 64 }, role: 'x', reservation: { principal: 'p' } },
    { name: 'disk', type: 'SCALAR', scalar: { value: 10 }, revocable: {} },
  ] as Resource[]),
]

describe('Resources shortcuts used by the allocator', () => {
  test('allocatedTo matches stamping every entry and rebuilding', () => {
    for (const r of samples) {
      const fast = r.allocatedTo('web')
      const slow = slowAllocatedTo(r, 'web')
      expect(fast.list).toEqual(slow.list)
      expect(fast.equals(slow)).toBe(true)
    }
    // Entries stamped for different roles merge once restamped.
    expect(samples[3]!.allocatedTo('z').scalar('cpus')).toBe(3.25)
    expect(samples[3]!.allocatedTo('z').ranges('ports')).toEqual([{ begin: 1, end: 9 }])
  })

  test('unallocated matches stripping every entry and rebuilding, and is a no-op when nothing is stamped', () => {
    for (const r of samples) {
      expect(r.unallocated().list).toEqual(slowUnallocated(r).list)
      expect(r.allocatedTo('q').unallocated().list).toEqual(slowUnallocated(r).list)
    }
    const plain = samples[1]!
    expect(plain.unallocated()).toBe(plain)
  })

  test('the copies share no mutable quantities with the original', () => {
    const r = samples[1]!
    const stamped = r.allocatedTo('a')
    stamped.list.find(x => x.name === 'cpus')!.scalar!.value = 99
    expect(r.scalar('cpus')).toBe(4)
    expect(r.list.every(x => x.allocation_info === undefined)).toBe(true)
  })

  test('stamping stays correct past the interned-key cache limit', () => {
    const r = samples[1]!
    const before = r.allocatedTo('x')
    for (let i = 0; i < 60_000; i++) r.allocatedTo(`role-${i}`)
    const after = r.allocatedTo('x')
    expect(after.list).toEqual(before.list)
    expect(before.plus(after).scalar('cpus')).toBe(8)
    expect(before.plus(after).list).toHaveLength(before.list.length)
  })

  test('plus into an empty bag gives the other operand', () => {
    const r = samples[1]!
    expect(Resources.EMPTY.plus(r)).toBe(r)
    expect(r.plus(Resources.EMPTY)).toBe(r)
    expect(Resources.EMPTY.plus(r).equals(Resources.of(r.list))).toBe(true)
  })
})

import { describe, expect, test } from 'bun:test'
import { flattenResources, parseResourcesFlag, Resources, ResourceError, validateResources } from '../../src/core/resources.ts'

const R = (s: string) => Resources.of(parseResourcesFlag(s))

describe('scalars', () => {
  test('fixed point to 0.001', () => {
    const a = R('cpus:0.1').plus(R('cpus:0.2'))
    expect(a.scalar('cpus')).toBe(0.3)
    expect(R('cpus:1').minus(R('cpus:0.7')).minus(R('cpus:0.3')).isEmpty).toBe(true)
  })
  test('contains / minus', () => {
    const pool = R('cpus:4;mem:1024')
    expect(pool.contains(R('cpus:4;mem:1024'))).toBe(true)
    expect(pool.contains(R('cpus:4.001'))).toBe(false)
    expect(pool.minus(R('cpus:1;mem:24')).toString()).toBe('cpus:3;mem:1000')
  })
})

describe('ranges and sets', () => {
  test('ranges merge, subtract and contain', () => {
    const p = R('ports:[31000-31005,31006-31010,32000-32000]')
    expect(p.ranges('ports')).toEqual([{ begin: 31000, end: 31010 }, { begin: 32000, end: 32000 }])
    const left = p.minus(R('ports:[31003-31004]'))
    expect(left.ranges('ports')).toEqual([{ begin: 31000, end: 31002 }, { begin: 31005, end: 31010 }, { begin: 32000, end: 32000 }])
    expect(left.contains(R('ports:[31005-31006]'))).toBe(true)
    expect(left.contains(R('ports:[31002-31003]'))).toBe(false)
  })
  test('sets', () => {
    const s = R('disks:{a,b,c}')
    expect(s.contains(R('disks:{a,c}'))).toBe(true)
    expect(s.minus(R('disks:{b}')).toString()).toBe('disks:{a,c}')
  })
})

describe('reservations and allocation', () => {
  test('static reservations keep their role, separate from unreserved', () => {
    const r = R('cpus:2;cpus(dev):1;mem(dev):128')
    expect(r.scalar('cpus')).toBe(3)
    expect(r.unreserved().toString()).toBe('cpus:2')
    expect(r.reservedFor('dev').toString()).toBe('cpus(dev):1;mem(dev):128')
  })
  test('pre-refinement input is normalized; wire output adds role "*" when asked', () => {
    const r = Resources.of([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'dev', reservation: { principal: 'ops' } }])
    expect(r.list[0]!.reservations).toEqual([{ type: 'DYNAMIC', role: 'dev', principal: 'ops' }])
    expect(r.toWire()[0]).toMatchObject({ role: 'dev', reservation: { principal: 'ops' } })
    expect(R('mem:1').toWire()[0]!.role).toBe('*')
  })
  test('allocation info splits otherwise equal resources', () => {
    const a = R('cpus:1').allocatedTo('a').plus(R('cpus:1').allocatedTo('b'))
    expect(a.list.length).toBe(2)
    expect(a.unallocated().scalar('cpus')).toBe(2)
  })
})

describe('parsing and validation', () => {
  test('text and JSON forms', () => {
    expect(R('cpus:4;mem:8192;ports:[31000-32000]').toString()).toBe('cpus:4;mem:8192;ports:[31000-32000]')
    expect(Resources.of(parseResourcesFlag('[{"name":"gpus","type":"SCALAR","scalar":{"value":2}}]')).scalar('gpus')).toBe(2)
    expect(() => parseResourcesFlag('cpus')).toThrow(ResourceError)
    expect(() => parseResourcesFlag('cpus:lots')).toThrow("bad scalar 'lots'")
    expect(() => parseResourcesFlag('ports:[5-1]')).toThrow('Invalid range')
  })
  test('validation catches negatives and fractional gpus', () => {
    expect(() => validateResources([{ name: 'cpus', type: 'SCALAR', scalar: { value: -1 } }])).toThrow('Invalid scalar')
    expect(() => validateResources([{ name: 'gpus', type: 'SCALAR', scalar: { value: 0.5 } }])).toThrow('unsigned integer')
  })
  test('v0 flattening', () => {
    expect(flattenResources(parseResourcesFlag('cpus:1;mem:2;ports:[1-2,4-4];disks:{x}'))).toEqual({ cpus: 1, gpus: 0, mem: 2, disk: 0, ports: '[1-2, 4-4]', disks: '{x}' })
  })
})

// The pure core of reservations and persistent volumes (src/master/operations/): resource formats, conversions,
// validation with upstream's messages.

import { describe, expect, test } from 'bun:test'
import { Resources, type Resource } from '../../src/core/resources.ts'
import {
  applyCheckpointedResources, applyConversions, checkpointedPart, conversionsOf, injectAllocationInfo, stampConversions,
  upgradeOperation, type SpeculativeOperation,
} from '../../src/master/operations/conversions.ts'
import {
  downgradeResource, formatResource, resourceFormatError, upgradeResource,
} from '../../src/master/operations/resource-format.ts'
import {
  agentCapabilities, formatError, taskVolumeError, validateCreate, validateDestroy, validateGrowVolume, validateReserve,
  validateShrinkVolume, validateUnreserve,
} from '../../src/master/operations/validation.ts'
import { withAncestors } from '../../src/master/operations/reservation-roles.ts'

const scalar = (name: string, value: number, extra: Partial<Resource> = {}): Resource => ({ name, type: 'SCALAR', scalar: { value }, ...extra })
const dyn = (role: string, principal?: string) => [{ type: 'DYNAMIC' as const, role, ...(principal ? { principal } : {}) }]
const volume = (id: string, role: string, size: number, extra: Partial<Resource> = {}): Resource =>
  scalar('disk', size, { reservations: dyn(role, 'ops'), disk: { persistence: { id, principal: 'ops' }, volume: { container_path: 'data', mode: 'RW' } }, ...extra })
const ALL_CAPS = agentCapabilities(['HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT', 'RESIZE_VOLUME'])

const apply = (total: Resources, op: SpeculativeOperation) => {
  const convs = conversionsOf(upgradeOperation(op))
  if ('error' in convs) throw new Error(convs.error)
  return applyConversions(total, convs)
}

describe('resource formats', () => {
  test('pre-refinement role + reservation upgrade to a DYNAMIC reservation, and back', () => {
    const pre: Resource = { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web', reservation: { principal: 'ops', labels: { labels: [{ key: 'k', value: 'v' }] } } }
    const post = upgradeResource(pre)
    expect(post.role).toBeUndefined()
    expect(post.reservation).toBeUndefined()
    expect(post.reservations).toEqual([{ type: 'DYNAMIC', role: 'web', principal: 'ops', labels: { labels: [{ key: 'k', value: 'v' }] } }])
    expect(downgradeResource(post)).toEqual({ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'web', reservation: { principal: 'ops', labels: { labels: [{ key: 'k', value: 'v' }] } } })
  })

  test('a static reservation downgrades without `reservation`; unreserved gets role "*"', () => {
    expect(downgradeResource(upgradeResource({ ...scalar('mem', 64), role: 'web' }))).toEqual({ ...scalar('mem', 64), role: 'web' })
    expect(downgradeResource(scalar('mem', 64))).toEqual({ ...scalar('mem', 64), role: '*' })
  })

  test('refined reservations cannot be downgraded', () => {
    const refined = scalar('cpus', 1, { reservations: [...dyn('a'), ...dyn('a/b')] })
    expect(downgradeResource(refined)).toEqual({ error: 'Cannot downgrade resources containing refined reservations' })
  })

  test('format errors as upstream Resources::validate words them', () => {
    expect(resourceFormatError({ ...scalar('cpus', 1), role: '*', reservation: {} })).toBe('Invalid reservation: role "*" cannot be dynamically reserved')
    expect(resourceFormatError(scalar('cpus', 1, { reservations: [{ role: 'a' }] }))).toBe("Invalid reservation: 'Resource.ReservationInfo.type' field must be set.")
    expect(resourceFormatError(scalar('cpus', 1, { reservations: [...dyn('a'), ...dyn('b')] }))).toBe("Invalid refined reservation: role 'b' is not a refinement of 'a'")
    expect(resourceFormatError(scalar('cpus', 1, { reservations: [...dyn('a'), { type: 'STATIC', role: 'a/b' }] }))).toBe('Invalid refined reservation: A refined reservation cannot be STATIC')
    expect(resourceFormatError(scalar('cpus', 1, { disk: {} }))).toBe('DiskInfo should not be set for cpus resource')
    expect(formatError([scalar('cpus', -1)])).toStartWith("Resource 'cpus:-1' is invalid: ")
  })

  test('JSON key order does not change a resource\'s identity', () => {
    const a = scalar('disk', 1, { reservations: [{ role: 'r', type: 'DYNAMIC', principal: 'p' }], disk: { volume: { mode: 'RW', container_path: 'd' }, persistence: { principal: 'p', id: 'v' } } })
    const b = scalar('disk', 1, { reservations: [{ type: 'DYNAMIC', principal: 'p', role: 'r' }], disk: { persistence: { id: 'v', principal: 'p' }, volume: { container_path: 'd', mode: 'RW' } } })
    expect(Resources.of([a]).equals(Resources.of([b]))).toBe(true)
  })

  test('Mesos text form', () => {
    expect(formatResource(scalar('cpus', 1, { reservations: dyn('web', 'ops'), allocation_info: { role: 'web' } }))).toBe('cpus(allocated: web)(reservations: [(DYNAMIC,web,ops)]):1')
    expect(formatResource(volume('v1', 'web', 64))).toBe('disk(reservations: [(DYNAMIC,web,ops)])[v1:data]:64')
  })

  test('ancestors of a role', () => {
    expect(withAncestors('a/b/c')).toEqual(['a/b/c', 'a/b', 'a'])
    expect(withAncestors('a')).toEqual(['a'])
  })
})

describe('conversions', () => {
  const total = Resources.of([scalar('cpus', 4), scalar('mem', 1024), scalar('disk', 1000)])

  test('RESERVE turns unreserved into reserved; UNRESERVE turns it back', () => {
    const reserved = apply(total, { type: 'RESERVE', reserve: { resources: [scalar('cpus', 1, { reservations: dyn('web', 'ops') })] } })
    if ('error' in reserved) throw new Error(reserved.error)
    expect(reserved.unreserved().scalar('cpus')).toBe(3)
    expect(reserved.reservedFor('web').scalar('cpus')).toBe(1)
    const back = apply(reserved, { type: 'UNRESERVE', unreserve: { resources: [scalar('cpus', 1, { reservations: dyn('web', 'ops') })] } })
    if ('error' in back) throw new Error(back.error)
    expect(back.equals(total)).toBe(true)
  })

  test('a pre-refinement RESERVE from an old framework applies the same way', () => {
    const r = apply(total, { type: 'RESERVE', reserve: { resources: [{ ...scalar('mem', 256), role: 'web', reservation: { principal: 'ops' } }] } })
    if ('error' in r) throw new Error(r.error)
    expect(r.reservedFor('web').scalar('mem')).toBe(256)
  })

  test('unreserving more than is reserved fails with upstream\'s "does not contain"', () => {
    const reserved = apply(total, { type: 'RESERVE', reserve: { resources: [scalar('cpus', 1, { reservations: dyn('web', 'ops') })] } }) as Resources
    const r = apply(reserved, { type: 'UNRESERVE', unreserve: { resources: [scalar('cpus', 2, { reservations: dyn('web', 'ops') })] } })
    expect(r).toEqual({ error: 'cpus:3; mem:1024; disk:1000; cpus(reservations: [(DYNAMIC,web,ops)]):1 does not contain cpus(reservations: [(DYNAMIC,web,ops)]):2' })
  })

  test('CREATE makes a volume of reserved disk; DESTROY gives the disk back', () => {
    const reserved = apply(total, { type: 'RESERVE', reserve: { resources: [scalar('disk', 100, { reservations: dyn('web', 'ops') })] } }) as Resources
    const created = apply(reserved, { type: 'CREATE', create: { volumes: [volume('v1', 'web', 64)] } })
    if ('error' in created) throw new Error(created.error)
    expect(checkpointedPart(created).list.map(formatResource).sort()).toEqual([
      'disk(reservations: [(DYNAMIC,web,ops)]):36', 'disk(reservations: [(DYNAMIC,web,ops)])[v1:data]:64',
    ])
    const destroyed = apply(created, { type: 'DESTROY', destroy: { volumes: [volume('v1', 'web', 64)] } })
    if ('error' in destroyed) throw new Error(destroyed.error)
    expect(destroyed.equals(reserved)).toBe(true)
  })

  test('GROW_VOLUME and SHRINK_VOLUME resize a volume', () => {
    const base = Resources.of([volume('v1', 'web', 64), scalar('disk', 36, { reservations: dyn('web', 'ops') })])
    const grown = apply(base, { type: 'GROW_VOLUME', grow_volume: { volume: volume('v1', 'web', 64), addition: scalar('disk', 16, { reservations: dyn('web', 'ops') }) } })
    if ('error' in grown) throw new Error(grown.error)
    expect(grown.list.find(r => r.disk)?.scalar?.value).toBe(80)
    const shrunk = apply(grown, { type: 'SHRINK_VOLUME', shrink_volume: { volume: volume('v1', 'web', 80), subtract: { value: 30 } } })
    if ('error' in shrunk) throw new Error(shrunk.error)
    expect(shrunk.list.find(r => r.disk)?.scalar?.value).toBe(50)
    expect(shrunk.scalar('disk')).toBe(100)
  })

  test('offer-side conversions carry the allocation role; agent-side ones none', () => {
    const op = injectAllocationInfo(upgradeOperation({ type: 'RESERVE', reserve: { resources: [scalar('cpus', 1, { reservations: dyn('web') })] } }), 'web')
    const convs = conversionsOf(op) as ReturnType<typeof stampConversions>
    const offered = total.allocatedTo('web')
    const r = applyConversions(offered, convs) as Resources
    expect(r.list.every(x => x.allocation_info?.role === 'web')).toBe(true)
    const agentSide = applyConversions(total, stampConversions(convs, undefined)) as Resources
    expect(agentSide.list.some(x => x.allocation_info)).toBe(false)
  })

  test('an agent\'s total is its static resources with the checkpointed ones applied', () => {
    const checkpointed = Resources.of([scalar('cpus', 1, { reservations: dyn('web', 'ops') }), volume('v1', 'web', 64)])
    const t = applyCheckpointedResources(total, checkpointed)
    if ('error' in t) throw new Error(t.error)
    expect(t.unreserved().scalar('cpus')).toBe(3)
    expect(t.unreserved().scalar('disk')).toBe(936)
    expect(checkpointedPart(t).equals(checkpointed)).toBe(true)
    const tooMuch = applyCheckpointedResources(total, Resources.of([scalar('cpus', 8, { reservations: dyn('web') })]))
    expect('error' in tooMuch && tooMuch.error).toStartWith('Incompatible agent resources: ')
  })
})

describe('validation', () => {
  const fw = { id: 'fw-1', roles: ['web'] }
  const stamped = (r: Resource, role = 'web'): Resource => ({ ...upgradeResource(r), allocation_info: { role } })

  test('RESERVE for a role the framework does not have', () => {
    expect(validateReserve({ resources: [stamped(scalar('cpus', 1, { reservations: dyn('db', 'ops') }), 'db')] }, { principal: 'ops', framework: fw }, ALL_CAPS))
      .toBe("A reserve operation was attempted for a resource allocated to role 'db', but the framework only has roles '{ web }'")
    expect(validateReserve({ resources: [stamped(scalar('cpus', 1, { reservations: dyn('db', 'ops') }))] }, { principal: 'ops', framework: fw }, ALL_CAPS))
      .toBe("A reserve operation was attempted for a resource with role 'db', but the resource was allocated to role 'web'")
  })

  test('RESERVE with another principal, or none', () => {
    expect(validateReserve({ resources: [stamped(scalar('cpus', 1, { reservations: dyn('web', 'mallory') }))] }, { principal: 'ops', framework: fw }, ALL_CAPS))
      .toBe("A reserve operation was attempted by authenticated principal 'ops', which does not match a reserved resource in the request with principal 'mallory'")
    expect(validateReserve({ resources: [stamped(scalar('cpus', 1, { reservations: dyn('web') }))] }, { principal: 'ops', framework: fw }, ALL_CAPS))
      .toBe("A reserve operation was attempted by principal 'ops', but there is a reserved resource in the request with no principal set")
  })

  test('RESERVE of unreserved resources, of allocated ones by an operator, on an agent without capabilities', () => {
    expect(validateReserve({ resources: [stamped(scalar('cpus', 1))] }, { framework: fw }, ALL_CAPS)).toBe('Resource cpus(allocated: web):1 is not dynamically reserved')
    expect(validateReserve({ resources: [stamped(scalar('cpus', 1, { reservations: dyn('web') }))] }, {}, ALL_CAPS))
      .toBe('A reserve operation was attempted with an allocated resource, but the operator API only allows reservations to be made to unallocated resources')
    expect(validateReserve({ resources: [upgradeResource(scalar('cpus', 1, { reservations: dyn('a/b') }))] }, {}, agentCapabilities([])))
      .toBe("Resource cpus(reservations: [(DYNAMIC,a/b)]):1 with reservation for hierarchical role 'a/b' cannot be reserved on an agent without HIERARCHICAL_ROLE capability")
    expect(validateReserve({ resources: [upgradeResource(scalar('cpus', 1, { reservations: dyn('web', 'ops') }))] }, { principal: 'ops' }, ALL_CAPS)).toBeUndefined()
  })

  test('UNRESERVE of unreserved resources or of a volume', () => {
    expect(validateUnreserve({ resources: [scalar('cpus', 1)] })).toBe('Resource cpus:1 is not dynamically reserved')
    expect(validateUnreserve({ resources: [volume('v1', 'web', 64)] })).toStartWith('A dynamically reserved persistent volume disk(reservations: [(DYNAMIC,web,ops)])[v1:data]:64 cannot be unreserved directly.')
  })

  test('CREATE: duplicate persistence id, wrong principal, unreserved disk, shared', () => {
    const existing = Resources.of([volume('v1', 'web', 64)])
    expect(validateCreate({ volumes: [volume('v1', 'web', 10)] }, existing, {}, ALL_CAPS)).toBe("Persistence ID 'v1' is not unique")
    expect(validateCreate({ volumes: [volume('v2', 'web', 10)] }, existing, { principal: 'mallory' }, ALL_CAPS))
      .toBe("Create volume operation attempted by authenticated principal 'mallory', which does not match a volume in the operation with principal 'ops' set in 'disk.persistence'")
    expect(validateCreate({ volumes: [scalar('disk', 10, { disk: { persistence: { id: 'v3' }, volume: { container_path: 'd' } } })] }, existing, {}, ALL_CAPS))
      .toBe('Invalid resources: Invalid DiskInfo: Persistent volumes cannot be created from unreserved resources')
    expect(validateCreate({ volumes: [volume('v4', 'web', 10, { shared: {} })] }, existing, {}, ALL_CAPS)).toContain('shared persistent volumes are not supported by meso')
    expect(validateCreate({ volumes: [volume('../x', 'web', 10)] }, existing, {}, ALL_CAPS)).toBe("Invalid resources: Invalid DiskInfo: Invalid persistence ID for persistent volume: '../x' contains invalid characters")
  })

  test('DESTROY of a volume in use, or unknown', () => {
    const existing = Resources.of([volume('v1', 'web', 64)])
    const inUse = [Resources.of([{ ...volume('v1', 'web', 64), allocation_info: { role: 'web' } }, scalar('cpus', 1)])]
    expect(validateDestroy({ volumes: [volume('v1', 'web', 64)] }, existing, inUse)).toBe('Persistent volumes in use')
    expect(validateDestroy({ volumes: [volume('v9', 'web', 64)] }, existing, [])).toBe('Persistent volumes not found')
    expect(validateDestroy({ volumes: [volume('v1', 'web', 64)] }, existing, [])).toBeUndefined()
  })

  test('GROW / SHRINK checks', () => {
    const v = upgradeResource(volume('v1', 'web', 64))
    expect(validateGrowVolume({ volume: v, addition: scalar('disk', 0, { reservations: dyn('web', 'ops') }) }, ALL_CAPS)).toBe("The size of 'GrowVolume.addition' field must be greater than zero")
    expect(validateGrowVolume({ volume: v, addition: scalar('disk', 8) }, ALL_CAPS)).toBe("Incompatible resources in the 'GrowVolume.volume' and 'GrowVolume.addition' fields")
    expect(validateGrowVolume({ volume: v, addition: upgradeResource(scalar('disk', 8, { reservations: dyn('web', 'ops') })) }, agentCapabilities([])))
      .toBe('Volume disk(reservations: [(DYNAMIC,web,ops)])[v1:data]:64 cannot be grown on an agent without RESIZE_VOLUME capability')
    expect(validateShrinkVolume({ volume: v, subtract: { value: 64 } }, ALL_CAPS)).toBe("Value of 'ShrinkVolume.subtract' must be smaller than the size of 'ShrinkVolume.volume'")
    expect(validateShrinkVolume({ volume: v, subtract: { value: 4 } }, ALL_CAPS)).toBeUndefined()
  })

  test('a task with two copies of one persistence id, or a shared volume', () => {
    expect(taskVolumeError([volume('v1', 'web', 1), volume('v1', 'web', 1)])).toBe("Task uses duplicate persistence ID: Persistence ID 'v1' is not unique")
    expect(taskVolumeError([scalar('cpus', 1), scalar('mem', 32)])).toBeUndefined()
    expect(taskVolumeError([volume('v1', 'web', 1, { shared: {} })])).toContain('shared persistent volumes are not supported')
  })
})

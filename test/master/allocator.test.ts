import { describe, expect, test } from 'bun:test'
import { parseResourcesFlag, Resources } from '../../src/core/resources.ts'
import { HierarchicalAllocator } from '../../src/master/allocator/allocator.ts'
import { AllocatorHarness, res, seededRandom } from '../../src/master/allocator/harness.ts'

const roleOf = (r: Resources) => new Set(r.list.map(x => x.allocation_info?.role))

describe('HierarchicalAllocator: basics', () => {
  test('one framework is offered every agent, whole, stamped with its role', () => {
    const h = new AllocatorHarness()
    h.addAgents(3, 'cpus:4;mem:4096;disk:100;ports:[31000-32000]')
    h.addFramework('fw', { roles: ['web'] })
    const offers = h.cycle()
    expect(offers.map(o => o.agentId).sort()).toEqual(['agent-0', 'agent-1', 'agent-2'])
    for (const o of offers) {
      expect(o.frameworkId).toBe('fw')
      expect(o.role).toBe('web')
      expect(roleOf(o.resources)).toEqual(new Set(['web']))
      expect(o.resources.unallocated().equals(res('cpus:4;mem:4096;disk:100;ports:[31000-32000]'))).toBe(true)
    }
    // Offered resources count as allocated until they come back.
    expect(h.cycle()).toEqual([])
    expect(h.allocator.roleAllocated('web').scalar('cpus')).toBe(12)
    expect(h.allocator.frameworkAllocated('fw').scalar('mem')).toBe(3 * 4096)
    expect(h.allocator.dominantShare('web')).toBeCloseTo(1)
  })

  test('recovered resources are offered again on the next cycle', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:4;mem:4096')
    h.addFramework('fw', { roles: ['r'] })
    const [offer] = h.cycle()
    const task = h.launch(offer!, 'cpus:1;mem:1024', 0)
    const [rest] = h.cycle()
    expect(rest!.resources.unallocated().equals(res('cpus:3;mem:3072'))).toBe(true)
    h.finish(task)
    const [freed] = h.cycle()
    expect(freed!.resources.unallocated().equals(res('cpus:1;mem:1024'))).toBe(true)
  })

  test('the same seed gives the same offers', () => {
    const run = () => {
      const h = new AllocatorHarness({ random: seededRandom(7) })
      h.addAgents(50, 'cpus:1;mem:1024')
      for (let i = 0; i < 5; i++) h.addFramework(`fw${i}`, { roles: [`r${i % 2}`] })
      return h.cycle().map(o => `${o.frameworkId}@${o.agentId}`)
    }
    expect(run()).toEqual(run())
  })

  test('duplicate ids are refused; unknown ids are ignored', () => {
    const a = new HierarchicalAllocator()
    a.addAgent('ag', { total: res('cpus:1;mem:128') })
    a.addFramework('fw', { roles: ['r'], gpuResources: false })
    expect(() => a.addAgent('ag', { total: res('cpus:1') })).toThrow()
    expect(() => a.addFramework('fw', { roles: ['r'], gpuResources: false })).toThrow()
    a.removeFramework('nope')
    a.removeAgent('nope')
    a.suppress('nope')
    a.revive('nope')
    a.recoverResources('nope', 'ag', res('cpus:1'), 5, 0)
    a.recoverResources('fw', 'nope', res('cpus:1'), 5, 0)
    expect(a.offerFilterCount()).toBe(0)
    expect(a.allocate(0)).toHaveLength(1)
  })
})

describe('HierarchicalAllocator: DRF fairness', () => {
  /** Frameworks launch one whole-agent task per offer; then, one at a time, random tasks finish and cycles run. */
  function churn(h: AllocatorHarness, steps: number, seed: number): void {
    const rnd = seededRandom(seed)
    for (const o of h.cycle()) h.launch(o)
    for (let i = 0; i < steps; i++) {
      const tasks = [...h.tasks]
      h.finish(tasks[Math.floor(rnd() * tasks.length)]!)
      for (const o of h.cycle()) h.launch(o)
    }
  }

  test('two roles with equal weights converge to equal dominant shares', () => {
    const h = new AllocatorHarness()
    h.addAgents(40, 'cpus:1;mem:1024')
    // `a` arrives first and takes the whole cluster.
    h.addFramework('fa', { roles: ['a'] })
    for (const o of h.cycle()) h.launch(o)
    expect(h.tasksOf('fa')).toHaveLength(40)
    h.addFramework('fb', { roles: ['b'] })
    churn(h, 200, 3)
    expect(h.tasksOf('fa').length + h.tasksOf('fb').length).toBe(40)
    expect(Math.abs(h.tasksOf('fa').length - h.tasksOf('fb').length)).toBeLessThanOrEqual(2)
    expect(Math.abs(h.allocator.dominantShare('a') - h.allocator.dominantShare('b'))).toBeLessThanOrEqual(2 / 40)
  })

  test('in one cycle, agents alternate between equally weighted roles', () => {
    const h = new AllocatorHarness()
    h.addAgents(30, 'cpus:1;mem:1024')
    h.addFramework('fa', { roles: ['a'] })
    h.addFramework('fb', { roles: ['b'] })
    const offers = h.cycle()
    expect(offers.filter(o => o.role === 'a')).toHaveLength(15)
    expect(offers.filter(o => o.role === 'b')).toHaveLength(15)
  })

  test('weights 2:1 give about twice the resources', () => {
    const h = new AllocatorHarness()
    h.allocator.updateWeights({ heavy: 2 })
    h.addAgents(60, 'cpus:1;mem:1024')
    h.addFramework('fh', { roles: ['heavy'] })
    h.addFramework('fl', { roles: ['light'] })
    const first = h.cycle()
    expect(first.filter(o => o.role === 'heavy')).toHaveLength(40)
    for (const o of first) h.launch(o)
    churn(h, 200, 5)
    const heavy = h.allocator.roleAllocated('heavy').scalar('cpus')
    const light = h.allocator.roleAllocated('light').scalar('cpus')
    expect(heavy + light).toBe(60)
    expect(heavy / light).toBeGreaterThan(1.7)
    expect(heavy / light).toBeLessThan(2.3)
    // The weighted shares are what DRF evens out.
    expect(Math.abs(h.allocator.dominantShare('heavy') - h.allocator.dominantShare('light'))).toBeLessThanOrEqual(2 / 60)
  })

  test('within a role, frameworks share by DRF too', () => {
    const h = new AllocatorHarness()
    h.addAgents(20, 'cpus:1;mem:1024')
    h.addFramework('f1', { roles: ['r'] })
    h.addFramework('f2', { roles: ['r'] })
    const offers = h.cycle()
    expect(offers.filter(o => o.frameworkId === 'f1')).toHaveLength(10)
    expect(offers.filter(o => o.frameworkId === 'f2')).toHaveLength(10)
    expect(h.allocator.frameworkShare('f1', 'r')).toBeCloseTo(0.5)
  })

  test('dominant share takes the scarcest resource for the role', () => {
    const h = new AllocatorHarness({ minAllocatable: [] })
    h.addAgents(1, 'cpus:10;mem:1000')
    h.addFramework('f', { roles: ['r'] })
    const [o] = h.cycle()
    h.launch(o!, 'cpus:1;mem:500', 0)
    expect(h.allocator.dominantShare('r')).toBeCloseTo(0.5)
  })

  test('recordAllocation counts toward shares and what the agent has left', () => {
    const h = new AllocatorHarness()
    h.addAgents(4, 'cpus:1;mem:1024')
    h.addAgents(1, 'cpus:2;mem:2048', 'big-')
    h.addFramework('fa', { roles: ['a'] })
    h.addFramework('fb', { roles: ['b'] })
    // `a` already runs tasks on agent-0 and half of big-0.
    h.allocator.recordAllocation('fa', 'agent-0', 'a', res('cpus:1;mem:1024'))
    h.allocator.recordAllocation('fa', 'big-0', 'a', res('cpus:1;mem:1024'))
    expect(h.allocator.dominantShare('a')).toBeCloseTo(2 / 6)
    const offers = h.cycle()
    expect(offers.find(o => o.agentId === 'agent-0')).toBeUndefined()
    const big = offers.find(o => o.agentId === 'big-0')!
    expect(big.resources.unallocated().equals(res('cpus:1;mem:1024'))).toBe(true)
    // b starts from zero so it gets more of the four free agent-sized chunks.
    expect(offers.filter(o => o.role === 'b')).toHaveLength(3)
    expect(offers.filter(o => o.role === 'a')).toHaveLength(1)
  })
})

describe('HierarchicalAllocator: filters, suppress, revive', () => {
  test('a declined offer is not re-offered before refuse_seconds and is after', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'] })
    const [o] = h.cycle()
    h.decline(o!, 5)
    expect(h.allocator.offerFilterCount()).toBe(1)
    expect(h.allocator.offerFilterCount('r')).toBe(1)
    expect(h.allocator.nextFilterExpiry()).toBe(5000)
    h.advance(4.999)
    expect(h.cycle()).toEqual([])
    h.advance(0.001)
    const again = h.cycle()
    expect(again).toHaveLength(1)
    expect(h.allocator.offerFilterCount()).toBe(0)
  })

  test('a filtered agent goes to another framework meanwhile', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('f1', { roles: ['r'] })
    const [o] = h.cycle()
    h.addFramework('f2', { roles: ['r'] })
    h.decline(o!, 60)
    expect(h.cycle().map(x => x.frameworkId)).toEqual(['f2'])
  })

  test('more resources than were refused pass the filter', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:4;mem:4096')
    h.addFramework('fw', { roles: ['r'] })
    const [o] = h.cycle()
    const task = h.launch(o!, 'cpus:2;mem:2048', 30) // the rest is refused for 30 s
    expect(h.cycle()).toEqual([])
    h.finish(task)
    const [back] = h.cycle()
    expect(back!.resources.unallocated().equals(res('cpus:4;mem:4096'))).toBe(true)
  })

  test('refuse_seconds 0 installs no filter; undefined (task finished) neither', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'] })
    h.decline(h.cycle()[0]!, 0)
    expect(h.allocator.offerFilterCount()).toBe(0)
    h.rescind(h.cycle()[0]!)
    expect(h.allocator.offerFilterCount()).toBe(0)
    expect(h.cycle()).toHaveLength(1)
  })

  test('refuse_seconds is capped at a year; negative means 5 s', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'] })
    const [a, b] = h.cycle()
    h.decline(a!, 1e15)
    h.decline(b!, -1)
    h.advance(5)
    expect(h.cycle().map(o => o.agentId)).toEqual([b!.agentId])
    h.advance(31_536_000 - 5 - 1)
    expect(h.cycle()).toEqual([])
    h.advance(1)
    expect(h.cycle().map(o => o.agentId)).toEqual([a!.agentId])
  })

  test('REVIVE clears the framework’s filters for the revived roles', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['a', 'b'] })
    // Both roles at share 0: `a` first by name. Once `a` declines, the agent goes to `b`, which declines too.
    const [forA] = h.cycle()
    expect(forA!.role).toBe('a')
    h.decline(forA!, 3600)
    const [forB] = h.cycle()
    expect(forB!.role).toBe('b')
    h.decline(forB!, 3600)
    expect(h.cycle()).toEqual([])
    expect(h.allocator.offerFilterCount()).toBe(2)
    h.allocator.revive('fw', ['b'])
    expect(h.allocator.offerFilterCount()).toBe(1)
    expect(h.allocator.offerFilterCount('a')).toBe(1)
    expect(h.cycle().map(o => o.role)).toEqual(['b'])
  })

  test('REVIVE with no roles clears every role’s filters', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['a', 'b'] })
    h.decline(h.cycle()[0]!, 3600)
    h.decline(h.cycle()[0]!, 3600)
    expect(h.allocator.offerFilterCount()).toBe(2)
    h.allocator.revive('fw')
    expect(h.allocator.offerFilterCount()).toBe(0)
    expect(h.cycle()).toHaveLength(1)
  })

  test('SUPPRESS stops offers; REVIVE restores them', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'] })
    h.allocator.suppress('fw')
    expect(h.cycle()).toEqual([])
    expect(h.allocator.hasPendingWork()).toBe(false)
    h.allocator.revive('fw')
    expect(h.allocator.hasPendingWork()).toBe(true)
    expect(h.cycle()).toHaveLength(2)
  })

  test('SUPPRESS of one role leaves the framework’s other roles offered', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['a', 'b'], suppressedRoles: ['a'] })
    expect(h.cycle().map(o => o.role)).toEqual(['b', 'b'])
    for (const o of [...h.offers]) h.rescind(o)
    h.allocator.suppress('fw', ['b'])
    expect(h.cycle()).toEqual([])
    h.allocator.revive('fw', ['a'])
    expect(h.cycle().map(o => o.role)).toEqual(['a', 'a'])
  })
})

describe('HierarchicalAllocator: what may be offered to whom', () => {
  test('GPU agents go only to GPU_RESOURCES frameworks', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:4;mem:4096;gpus:1', 'gpu-')
    h.addAgents(1, 'cpus:4;mem:4096', 'cpu-')
    h.addFramework('plain', { roles: ['r'] })
    const offers = h.cycle()
    expect(offers.map(o => o.agentId)).toEqual(['cpu-0'])
    h.addFramework('gpu', { roles: ['r'], gpuResources: true })
    expect(h.cycle().map(o => `${o.frameworkId}@${o.agentId}`).sort()).toEqual(['gpu@gpu-0', 'gpu@gpu-1'])
  })

  test('with filterGpuResources off, GPU agents go to anyone', () => {
    const h = new AllocatorHarness({ filterGpuResources: false })
    h.addAgents(1, 'cpus:4;mem:4096;gpus:1')
    h.addFramework('plain', { roles: ['r'] })
    expect(h.cycle()).toHaveLength(1)
  })

  test('reserved resources go only to their role; the rest to anyone, in the same cycle', () => {
    const h = new AllocatorHarness()
    h.allocator.addAgent('ag', { total: res('cpus:4;mem:4096;cpus(db):2;mem(db):2048') })
    h.addFramework('web', { roles: ['a-web'] })
    h.addFramework('db', { roles: ['db'] })
    h.addFramework('other', { roles: ['zzz'] })
    const offers = h.cycle()
    expect(offers).toHaveLength(2)
    const web = offers.find(o => o.frameworkId === 'web')!
    const db = offers.find(o => o.frameworkId === 'db')!
    // All shares are 0, so `a-web` comes first by name and takes the unreserved part; `db` still gets its own.
    expect(web.resources.unallocated().equals(res('cpus:4;mem:4096'))).toBe(true)
    expect(db.resources.unallocated().equals(res('cpus(db):2;mem(db):2048'))).toBe(true)
    expect(roleOf(db.resources)).toEqual(new Set(['db']))
    expect(db.resources.toWire().every(r => r.role === 'db')).toBe(true)
  })

  test('a role offered first gets its reservation together with unreserved resources', () => {
    const h = new AllocatorHarness()
    h.allocator.addAgent('ag', { total: res('cpus:4;mem:4096;cpus(a):2;mem(a):2048') })
    h.addFramework('fa', { roles: ['a'] })
    h.addFramework('fb', { roles: ['b'] })
    const offers = h.cycle()
    expect(offers.map(o => o.frameworkId)).toEqual(['fa'])
    expect(offers[0]!.resources.unallocated().equals(res('cpus:4;mem:4096;cpus(a):2;mem(a):2048'))).toBe(true)
  })

  test('reservations are never offered to other roles, even when nothing else is left', () => {
    const h = new AllocatorHarness()
    h.allocator.addAgent('ag', { total: res('cpus(a):2;mem(a):2048') })
    h.addFramework('fb', { roles: ['b'] })
    h.addFramework('fab', { roles: ['a/b'] }) // sub-roles may use an ancestor's reservation (Mesos)
    h.addFramework('fparent', { roles: ['parent'] })
    const offers = h.cycle()
    expect(offers.map(o => o.frameworkId)).toEqual(['fab'])
    expect(offers[0]!.role).toBe('a/b')
  })

  test('dynamic reservations count like static ones', () => {
    const h = new AllocatorHarness()
    const total = Resources.of([
      ...parseResourcesFlag('cpus:1;mem:1024'),
      { name: 'cpus', type: 'SCALAR', scalar: { value: 3 }, reservations: [{ type: 'DYNAMIC', role: 'r', principal: 'p' }] },
    ])
    h.allocator.addAgent('ag', { total })
    h.addFramework('other', { roles: ['o'] })
    const [o] = h.cycle()
    expect(o!.resources.unallocated().equals(res('cpus:1;mem:1024'))).toBe(true)
    h.addFramework('owner', { roles: ['r'] })
    const [mine] = h.cycle()
    expect(mine!.frameworkId).toBe('owner')
    expect(mine!.resources.scalar('cpus')).toBe(3)
  })

  test('an inactive framework gets nothing until reactivated', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'], active: false })
    expect(h.cycle()).toEqual([])
    h.allocator.activateFramework('fw')
    expect(h.cycle()).toHaveLength(2)
    for (const o of [...h.offers]) h.rescind(o)
    h.allocator.deactivateFramework('fw')
    expect(h.cycle()).toEqual([])
  })

  test('deactivating a framework drops its filters (Mesos does too)', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'] })
    h.decline(h.cycle()[0]!, 3600)
    h.allocator.deactivateFramework('fw')
    expect(h.allocator.offerFilterCount()).toBe(0)
    h.allocator.activateFramework('fw')
    expect(h.cycle()).toHaveLength(1)
  })

  test('an inactive agent gets no offers; its resources stay held', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:2;mem:2048')
    h.allocator.deactivateAgent('agent-1')
    h.addFramework('fw', { roles: ['r'] })
    expect(h.cycle().map(o => o.agentId)).toEqual(['agent-0'])
    h.allocator.activateAgent('agent-1')
    expect(h.cycle().map(o => o.agentId)).toEqual(['agent-1'])
  })

  test('minAllocatable: offers below cpus:0.01|mem:32 are not made', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:0.005;mem:16;disk:1000', 'tiny-')
    h.addAgents(1, 'cpus:0.01;mem:1', 'cpu-only-')
    h.addAgents(1, 'mem:32', 'mem-only-')
    h.addFramework('fw', { roles: ['r'] })
    expect(h.cycle().map(o => o.agentId).sort()).toEqual(['cpu-only-0', 'mem-only-0'])
  })

  test('minAllocatable: alternatives AND inside, OR between; [] allows anything', () => {
    const strict = new AllocatorHarness({ minAllocatable: [{ cpus: 1, mem: 512 }] })
    strict.addAgents(1, 'cpus:1;mem:256', 'small-')
    strict.addAgents(1, 'cpus:1;mem:512', 'ok-')
    strict.addFramework('fw', { roles: ['r'] })
    expect(strict.cycle().map(o => o.agentId)).toEqual(['ok-0'])

    const any = new AllocatorHarness({ minAllocatable: [] })
    any.addAgents(1, 'disk:1')
    any.addFramework('fw', { roles: ['r'] })
    expect(any.cycle()).toHaveLength(1)
  })

  test('minAllocatable applies to what the role may use, not to the whole agent', () => {
    const h = new AllocatorHarness()
    h.allocator.addAgent('ag', { total: res('cpus(a):4;mem(a):4096;cpus:0.001;mem:1') })
    h.addFramework('fb', { roles: ['b'] })
    expect(h.cycle()).toEqual([])
  })

  test('a multi-role framework gets a separate offer per role, each stamped with its role', () => {
    const h = new AllocatorHarness()
    h.allocator.addAgent('ag', { total: res('cpus:2;mem:2048;cpus(b):1;mem(b):512') })
    h.addFramework('fw', { roles: ['a', 'b'] })
    const offers = h.cycle()
    expect(offers.map(o => o.role).sort()).toEqual(['a', 'b'])
    for (const o of offers) {
      expect(o.frameworkId).toBe('fw')
      expect(o.agentId).toBe('ag')
      expect(roleOf(o.resources)).toEqual(new Set([o.role]))
    }
    expect(offers.find(o => o.role === 'a')!.resources.unallocated().equals(res('cpus:2;mem:2048'))).toBe(true)
    expect(h.allocator.frameworkAllocated('fw', 'b').equals(res('cpus(b):1;mem(b):512'))).toBe(true)
    // Returning both in one call splits them by allocation_info.role.
    h.allocator.recoverResources('fw', 'ag', offers[0]!.resources.plus(offers[1]!.resources), 60, 0)
    expect(h.allocator.offerFilterCount('a')).toBe(1)
    expect(h.allocator.offerFilterCount('b')).toBe(1)
    expect(h.allocator.frameworkAllocated('fw').isEmpty).toBe(true)
  })
})

describe('HierarchicalAllocator: lifecycle', () => {
  test('removeFramework frees what it holds for others', () => {
    const h = new AllocatorHarness()
    h.addAgents(3, 'cpus:2;mem:2048')
    h.addFramework('f1', { roles: ['r'] })
    for (const o of h.cycle()) h.launch(o)
    h.addFramework('f2', { roles: ['q'] })
    expect(h.cycle()).toEqual([])
    h.allocator.removeFramework('f1')
    expect(h.allocator.roleAllocated('r').isEmpty).toBe(true)
    expect(h.allocator.dominantShare('r')).toBe(0)
    expect(h.cycle().map(o => o.frameworkId)).toEqual(['f2', 'f2', 'f2'])
  })

  test('removeAgent takes its allocations out of the shares', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:2;mem:2048')
    h.addFramework('f', { roles: ['r'] })
    h.cycle()
    expect(h.allocator.dominantShare('r')).toBeCloseTo(1)
    h.allocator.removeAgent('agent-0')
    expect(h.allocator.dominantShare('r')).toBeCloseTo(1)
    expect(h.allocator.frameworkAllocated('f').scalar('cpus')).toBe(2)
    h.addAgents(1, 'cpus:2;mem:2048', 'new-')
    expect(h.allocator.dominantShare('r')).toBeCloseTo(0.5)
  })

  test('updateAgentTotal: more resources become offerable', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('f', { roles: ['r'] })
    h.cycle()
    h.allocator.updateAgentTotal('agent-0', res('cpus:3;mem:3072'))
    const [o] = h.cycle()
    expect(o!.resources.unallocated().equals(res('cpus:1;mem:1024'))).toBe(true)
  })

  test('holdings an agent reports for a framework not yet re-subscribed are adopted, not double counted', () => {
    const h = new AllocatorHarness()
    const used = [{ frameworkId: 'fw', role: 'r', resources: res('cpus:1;mem:1024').allocatedTo('r') }]
    h.allocator.addAgent('ag', { total: res('cpus:4;mem:4096') }, used)
    expect(h.allocator.agentAvailable('ag').equals(res('cpus:3;mem:3072'))).toBe(true)
    h.allocator.addFramework('fw', { roles: ['r'], gpuResources: false },
      [{ agentId: 'ag', role: 'r', resources: res('cpus:1;mem:1024') }])
    expect(h.allocator.frameworkAllocated('fw').equals(res('cpus:1;mem:1024'))).toBe(true)
    expect(h.allocator.agentAllocated('ag').equals(res('cpus:1;mem:1024'))).toBe(true)
    expect(h.allocator.dominantShare('r')).toBeCloseTo(0.25)
    const [o] = h.cycle()
    expect(o!.resources.unallocated().equals(res('cpus:3;mem:3072'))).toBe(true)
  })

  test('a task of a framework not yet re-subscribed can finish; its resources come back to the agent', () => {
    const h = new AllocatorHarness()
    const task = res('cpus:1;mem:1024').allocatedTo('r')
    h.allocator.addAgent('ag', { total: res('cpus:2;mem:2048') }, [{ frameworkId: 'old', role: 'r', resources: task }])
    h.allocator.recoverResources('old', 'ag', task, undefined, 0)
    expect(h.allocator.agentAllocated('ag').isEmpty).toBe(true)
    // Nothing is left to adopt when it comes back.
    h.addFramework('old', { roles: ['r'] })
    expect(h.allocator.frameworkAllocated('old').isEmpty).toBe(true)
    expect(h.cycle()[0]!.resources.unallocated().equals(res('cpus:2;mem:2048'))).toBe(true)
  })

  test('removing an agent forgets what unknown frameworks held there', () => {
    const h = new AllocatorHarness()
    h.allocator.addAgent('ag', { total: res('cpus:2;mem:2048') },
      [{ frameworkId: 'old', role: 'r', resources: res('cpus:1;mem:1024') }])
    h.allocator.removeAgent('ag')
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('old', { roles: ['r'] })
    expect(h.allocator.frameworkAllocated('old').isEmpty).toBe(true)
    expect(h.allocator.dominantShare('r')).toBe(0)
  })

  test('updateFramework: gaining GPU_RESOURCES makes GPU agents offerable', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048;gpus:2')
    h.addFramework('fw', { roles: ['r'] })
    expect(h.cycle()).toEqual([])
    h.allocator.updateFramework('fw', { roles: ['r'], gpuResources: true })
    expect(h.cycle()).toHaveLength(1)
  })

  test('no frameworks, no offers; agents stay available for later', () => {
    const h = new AllocatorHarness()
    h.addAgents(3, 'cpus:2;mem:2048')
    expect(h.cycle()).toEqual([])
    h.addFramework('fw', { roles: ['r'] })
    expect(h.cycle()).toHaveLength(3)
  })

  test('addFramework with used resources on a known agent counts them', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:4;mem:4096')
    h.allocator.addFramework('fw', { roles: ['r'], gpuResources: false },
      [{ agentId: 'agent-0', role: 'r', resources: res('cpus:2;mem:2048') }, { agentId: 'gone', role: 'r', resources: res('cpus:1') }])
    expect(h.allocator.dominantShare('r')).toBeCloseTo(0.5)
    expect(h.allocator.agentAvailable('agent-0').equals(res('cpus:2;mem:2048'))).toBe(true)
  })

  test('updateFramework: a role left keeps its holdings until they come back', () => {
    const h = new AllocatorHarness()
    h.addAgents(2, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['a'] })
    const [t1, t2] = h.cycle().map(o => h.launch(o))
    h.allocator.updateFramework('fw', { roles: ['b'], gpuResources: false })
    expect(h.allocator.sortedRoles()).toEqual(['b', 'a'])
    expect(h.allocator.dominantShare('a')).toBeCloseTo(1)
    // Freed resources go to the new role only.
    h.finish(t1!)
    expect(h.allocator.dominantShare('a')).toBeCloseTo(0.5)
    expect(h.cycle().map(o => o.role)).toEqual(['b'])
    h.finish(t2!)
    expect(h.allocator.sortedRoles()).toEqual(['b'])
    expect(h.allocator.dominantShare('a')).toBe(0)
  })

  test('updateFramework: unsuppressing a role revives it (its filters go)', () => {
    const h = new AllocatorHarness()
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['a'] })
    h.decline(h.cycle()[0]!, 3600)
    h.allocator.updateFramework('fw', { roles: ['a'], suppressedRoles: ['a'], gpuResources: false })
    expect(h.allocator.offerFilterCount()).toBe(1)
    expect(h.cycle()).toEqual([])
    h.allocator.updateFramework('fw', { roles: ['a'], suppressedRoles: [], gpuResources: false })
    expect(h.allocator.offerFilterCount()).toBe(0)
    expect(h.cycle()).toHaveLength(1)
  })

  test('hasPendingWork hints when a cycle could offer something new', () => {
    const h = new AllocatorHarness()
    expect(h.allocator.hasPendingWork()).toBe(false)
    h.addAgents(1, 'cpus:2;mem:2048')
    h.addFramework('fw', { roles: ['r'] })
    expect(h.allocator.hasPendingWork()).toBe(true)
    const [o] = h.cycle()
    expect(h.allocator.hasPendingWork()).toBe(false)
    h.decline(o!, 5)
    expect(h.allocator.hasPendingWork()).toBe(true)
    h.cycle()
    expect(h.allocator.hasPendingWork(h.now + 4000)).toBe(false)
    expect(h.allocator.hasPendingWork(h.now + 5000)).toBe(true)
  })

  test('weights can change at any time and apply from the next cycle', () => {
    const h = new AllocatorHarness()
    h.addAgents(30, 'cpus:1;mem:1024')
    h.addFramework('fa', { roles: ['a'] })
    h.addFramework('fb', { roles: ['b'] })
    h.allocator.updateWeights({ b: 2 })
    expect(h.cycle().filter(o => o.role === 'b')).toHaveLength(20)
    expect(() => h.allocator.updateWeights({ a: 0 })).toThrow(RangeError)
  })
})

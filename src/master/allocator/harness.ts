// A small stand-in for the master around the allocator, for tests and `bench/`: it keeps outstanding offers and
// running tasks and lets a story be told in scheduler words (decline, launch, finish) with a clock that only moves
// when told to.

import { parseResourcesFlag, Resources } from '../../core/resources.ts'
import { DEFAULT_REFUSE_SECONDS } from './filters.ts'
import { HierarchicalAllocator, type AllocatedOffer, type AllocatorOptions, type FrameworkSpec } from './allocator.ts'

export interface HarnessTask {
  readonly frameworkId: string
  readonly agentId: string
  readonly role: string
  /** Stamped with the role, as the master keeps task resources. */
  readonly resources: Resources
}

/** `cpus:1;mem:1024` (Mesos' `--resources` syntax) to Resources. */
export function res(text: string): Resources {
  return Resources.of(parseResourcesFlag(text))
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class AllocatorHarness {
  readonly allocator: HierarchicalAllocator
  /** Milliseconds, passed to the allocator as `now`. */
  now = 0
  readonly offers = new Set<AllocatedOffer>()
  readonly tasks = new Set<HarnessTask>()

  constructor(opts: AllocatorOptions = {}) {
    this.allocator = new HierarchicalAllocator({ random: seededRandom(1), ...opts })
  }

  /** Adds `count` agents `<prefix>0`, `<prefix>1`, … each with `resources`; returns their ids. */
  addAgents(count: number, resources: string | Resources, prefix = 'agent-'): string[] {
    const total = typeof resources === 'string' ? res(resources) : resources
    const ids: string[] = []
    for (let i = 0; i < count; i++) {
      const id = `${prefix}${i}`
      this.allocator.addAgent(id, { total, hostname: `${id}.example` })
      ids.push(id)
    }
    return ids
  }

  addFramework(id: string, spec: Partial<FrameworkSpec> & { roles: readonly string[] }): void {
    this.allocator.addFramework(id, { gpuResources: false, ...spec })
  }

  /** One allocation cycle; the new offers are also kept as outstanding. */
  cycle(): AllocatedOffer[] {
    const out = this.allocator.allocate(this.now)
    for (const o of out) this.offers.add(o)
    return out
  }

  advance(seconds: number): void { this.now += seconds * 1000 }

  offersFor(frameworkId: string): AllocatedOffer[] {
    return [...this.offers].filter(o => o.frameworkId === frameworkId)
  }

  decline(offer: AllocatedOffer, refuseSeconds: number | undefined = DEFAULT_REFUSE_SECONDS): void {
    this.take(offer)
    this.allocator.recoverResources(offer.frameworkId, offer.agentId, offer.resources, refuseSeconds, this.now)
  }

  /** Rescinds without a filter, as the master does for a disconnected framework or an offer timeout. */
  rescind(offer: AllocatedOffer): void {
    this.take(offer)
    this.allocator.recoverResources(offer.frameworkId, offer.agentId, offer.resources, undefined, this.now)
  }

  /**
   * Accepts an offer with one task using `task` (all of the offer when omitted); the rest goes back with the
   * accept's filter, as the master does.
   */
  launch(
    offer: AllocatedOffer, task?: string | Resources, refuseSeconds: number | undefined = DEFAULT_REFUSE_SECONDS,
  ): HarnessTask {
    this.take(offer)
    const wanted = task === undefined ? offer.resources : (typeof task === 'string' ? res(task) : task)
      .allocatedTo(offer.role)
    if (!offer.resources.contains(wanted)) throw new Error(`task ${wanted} does not fit offer ${offer.resources}`)
    const t: HarnessTask = { frameworkId: offer.frameworkId, agentId: offer.agentId, role: offer.role, resources: wanted }
    this.tasks.add(t)
    const rest = offer.resources.minus(wanted)
    if (!rest.isEmpty) this.allocator.recoverResources(offer.frameworkId, offer.agentId, rest, refuseSeconds, this.now)
    return t
  }

  /** The task ends; its resources go back without a filter. */
  finish(task: HarnessTask): void {
    if (!this.tasks.delete(task)) throw new Error('unknown task')
    this.allocator.recoverResources(task.frameworkId, task.agentId, task.resources, undefined, this.now)
  }

  tasksOf(frameworkId: string): HarnessTask[] {
    return [...this.tasks].filter(t => t.frameworkId === frameworkId)
  }

  private take(offer: AllocatedOffer): void {
    if (!this.offers.delete(offer)) throw new Error('unknown or already used offer')
  }
}

// Which container holds which GPUs on this agent. The master only counts `gpus`; the agent picks the devices. Every
// change is checkpointed (a small JSON file, replaced atomically) so that a restarted agent gives re-adopted
// containers the same GPUs and never hands a held GPU to another task. Assignments are stored by UUID, which
// stays put while indices could be renumbered.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Resources } from '../../../core/resources.ts'
import type { NvidiaGpu } from './nvidia-smi.ts'

export class GpuAllocationError extends Error {}

/** Where assignments are kept: read once at start, written after every change. */
export interface AssignmentStore {
  read(): string | undefined
  write(text: string): void
}

/** A JSON file replaced with write-to-temp, fsync, rename: a crash leaves the old or the new file, never half. */
export function jsonFileStore(path: string): AssignmentStore {
  return {
    read() { try { return readFileSync(path, 'utf8') } catch { return undefined } },
    write(text) {
      mkdirSync(dirname(path), { recursive: true })
      const tmp = `${path}.tmp`
      const fd = openSync(tmp, 'w', 0o644)
      try { writeSync(fd, text); fsyncSync(fd) } finally { closeSync(fd) }
      renameSync(tmp, path)
    },
  }
}

export const memoryStore = (): AssignmentStore & { text?: string } => ({ read() { return this.text }, write(t) { this.text = t } })

/** Whole GPUs a container asks for; fractions are refused (the master refuses them first). */
export function requestedGpus(resources: Resources): number {
  const n = resources.scalar('gpus')
  if (!Number.isInteger(n) || n < 0) throw new GpuAllocationError(`The 'gpus' resource must be a non-negative integer, got ${n}`)
  return n
}

/** The first `count` free GPUs by index (Mesos hands out the lowest first too). */
export function pickGpus(free: NvidiaGpu[], count: number): NvidiaGpu[] {
  return [...free].sort((a, b) => a.index - b.index).slice(0, count)
}

interface Checkpoint { version: 1; containers: Record<string, string[]> }

export class GpuAllocator {
  private readonly byContainer = new Map<string, NvidiaGpu[]>()

  constructor(readonly gpus: readonly NvidiaGpu[], private readonly store: AssignmentStore) {
    this.load()
  }

  private load() {
    const text = this.store.read()
    if (!text) return
    let cp: Checkpoint
    try { cp = JSON.parse(text) } catch (err) { throw new Error(`GPU assignment checkpoint is corrupt: ${(err as Error).message}`) }
    const byUuid = new Map(this.gpus.map(g => [g.uuid, g]))
    for (const [id, uuids] of Object.entries(cp.containers ?? {})) {
      // A GPU no longer managed (other --nvidia_gpu_devices) cannot be held any more; keep the rest.
      this.byContainer.set(id, uuids.flatMap(u => byUuid.get(u) ?? []))
    }
  }

  private save() {
    const containers: Record<string, string[]> = {}
    for (const [id, gpus] of this.byContainer) containers[id] = gpus.map(g => g.uuid)
    this.store.write(JSON.stringify({ version: 1, containers } satisfies Checkpoint))
  }

  get free(): NvidiaGpu[] {
    const held = new Set([...this.byContainer.values()].flat().map(g => g.uuid))
    return this.gpus.filter(g => !held.has(g.uuid))
  }

  assigned(containerId: string): NvidiaGpu[] | undefined { return this.byContainer.get(containerId) }

  /** Gives the container `count` GPUs; a container that already holds GPUs (a retried launch) keeps them. */
  allocate(containerId: string, count: number): NvidiaGpu[] {
    const held = this.byContainer.get(containerId)
    if (held) return held
    const free = this.free
    if (free.length < count) {
      throw new GpuAllocationError(`Requested ${count} GPU(s) but only ${free.length} of ${this.gpus.length} are free on this agent`)
    }
    const gpus = pickGpus(free, count)
    this.byContainer.set(containerId, gpus)
    this.save()
    return gpus
  }

  release(containerId: string): NvidiaGpu[] {
    const gpus = this.byContainer.get(containerId) ?? []
    if (this.byContainer.delete(containerId)) this.save()
    return gpus
  }

  /** After an agent restart: keep the GPUs of containers the agent re-adopts, free those of any other. */
  recover(known: Set<string>): { kept: string[]; freed: string[] } {
    const freed = [...this.byContainer.keys()].filter(id => !known.has(id))
    for (const id of freed) this.byContainer.delete(id)
    if (freed.length) this.save()
    return { kept: [...this.byContainer.keys()], freed }
  }
}

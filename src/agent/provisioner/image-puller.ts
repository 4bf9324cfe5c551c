// Pulls an image from a registry into the store: manifest (a list/index resolved to this platform), config, then the
// layers in parallel with a bound, each streamed to a temp file, verified and unpacked by the store. Pulls of the
// same reference with the same credentials share one job, and later callers get its progress from where it is.
// Different credentials never share a job: each pull proves its own access to the manifest. A caller may give up
// with its signal (its task was killed): it is answered at once, and the job stops — downloads aborted — once every
// caller has given up (docs/security-files.md).

import { createHash } from 'node:crypto'
import type { RegistryCredentials } from '../../core/registry/docker-config.ts'
import { describePlatforms, hostPlatform, ManifestError, parseImageConfig, runtimeConfig, selectPlatform, type Descriptor, type Platform } from '../../core/registry/manifest.ts'
import { formatReference, manifestReference, type ImageReference } from '../../core/registry/reference.ts'
import type { RegistryClient } from '../../core/registry/registry-client.ts'
import { SharedWork } from '../../core/registry/stall.ts'
import type { ImageRecord, ImageStore } from './image-store.ts'

export type LayerStatus = 'waiting' | 'downloading' | 'extracting' | 'done' | 'cached'

export type PullEvent =
  | { type: 'resolved'; reference: string; digest: string; layers: { digest: string; size?: number }[] }
  | { type: 'layer'; digest: string; status: LayerStatus; current?: number; total?: number }
  | { type: 'done'; reference: string; digest: string; size: number }
  | { type: 'error'; message: string }

export type PullListener = (e: PullEvent) => void

export interface PullerOptions {
  store: ImageStore
  /** A client for a registry, reused across pulls so Bearer tokens stay cached. */
  client: (registry: string, credentials?: RegistryCredentials) => RegistryClient
  /** Layer downloads at once, across all pulls. */
  concurrency?: number
  platform?: Platform
}

export class PullError extends Error {}

/** A layer download stopped because its pull was abandoned; another pull waiting for the same layer fetches it itself. */
class LayerAbandoned extends Error {}

class Slots {
  private free: number
  private readonly waiters: (() => void)[] = []
  constructor(n: number) { this.free = n }
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.free > 0) this.free--
    else await this.queue(signal)
    try { return await fn() } finally {
      const next = this.waiters.shift()
      if (next) next()
      else this.free++
    }
  }

  /** Waits for a slot; a caller that gives up leaves the queue. */
  private queue(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    return new Promise<void>((resolve, reject) => {
      const waiter = () => { signal?.removeEventListener('abort', onAbort); resolve() }
      const onAbort = () => { this.waiters.splice(this.waiters.indexOf(waiter), 1); reject(signal!.reason) }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
  }
}

interface Job { work: SharedWork<ImageRecord>; listeners: Set<PullListener>; resolved?: PullEvent; layers: Map<string, PullEvent> }

export class ImagePuller {
  private readonly jobs = new Map<string, Job>()
  private readonly slots: Slots

  constructor(private readonly o: PullerOptions) {
    this.slots = new Slots(o.concurrency ?? 3)
  }

  /** Pulls `ref`, or joins the pull of it already running; `signal` lets this caller give up (its task was killed). */
  pull(ref: ImageReference, credentials: RegistryCredentials | undefined, listener?: PullListener, signal?: AbortSignal): Promise<ImageRecord> {
    const key = `${formatReference(ref)}\0${credentials ? createHash('sha256').update(`${credentials.username}\0${credentials.password}`).digest('hex') : ''}`
    let job = this.jobs.get(key)
    if (job) {
      // Join the running pull: replay where it is, then follow it.
      if (listener) {
        if (job.resolved) listener(job.resolved)
        for (const e of job.layers.values()) listener(e)
      }
    } else {
      const j: Job = { listeners: new Set(), layers: new Map(), work: undefined as never }
      const emit = (e: PullEvent) => {
        if (e.type === 'resolved') j.resolved = e
        if (e.type === 'layer') j.layers.set(e.digest, e)
        for (const l of j.listeners) { try { l(e) } catch { /* a listener's problem is its own */ } }
      }
      j.work = new SharedWork(s => this.run(ref, credentials, emit, s))
      const forget = () => { if (this.jobs.get(key) === j) this.jobs.delete(key) }
      j.work.promise.then(forget, forget)
      this.jobs.set(key, j)
      job = j
    }
    const joined = job
    if (listener) joined.listeners.add(listener)
    return joined.work.join(signal).catch(err => {
      if (listener) joined.listeners.delete(listener)
      throw err
    })
  }

  private async run(ref: ImageReference, credentials: RegistryCredentials | undefined, emit: PullListener, signal: AbortSignal): Promise<ImageRecord> {
    const { store } = this.o
    const name = formatReference(ref)
    const client = this.o.client(ref.registry, credentials)
    let fetched = await client.getManifest(ref.repository, manifestReference(ref), signal)
    let indexDigest: string | undefined
    if (fetched.manifest.kind === 'index') {
      const want = this.o.platform ?? hostPlatform()
      const pick = selectPlatform(fetched.manifest.manifests, want)
      if (!pick) throw new ManifestError(`image ${name} has no ${want.os}/${want.architecture} variant (it has: ${describePlatforms(fetched.manifest.manifests)})`)
      indexDigest = fetched.digest
      fetched = await client.getManifest(ref.repository, pick.digest, signal)
      if (fetched.manifest.kind !== 'image') throw new ManifestError(`image ${name}: the index entry for this platform is itself an index`)
    }
    const m = fetched.manifest
    if (m.kind !== 'image') throw new ManifestError(`image ${name}: unexpected manifest`)
    const layers = m.layers
    emit({ type: 'resolved', reference: name, digest: fetched.digest, layers: layers.map(l => ({ digest: l.digest, size: l.size })) })

    const now = Math.floor(Date.now() / 1000)
    const same = store.findByDigest(fetched.digest)
    let config = same?.config
    let configDigest = same?.config_digest
    if (!config || configDigest !== m.config.digest) {
      const parsed = parseImageConfig(await client.getBlobText(ref.repository, m.config, signal))
      if (parsed.os && parsed.os !== 'linux') throw new ManifestError(`image ${name} is for ${parsed.os}, not linux`)
      config = runtimeConfig(parsed)
      configDigest = m.config.digest
    }

    const digests = layers.map(l => l.digest)
    store.pin(digests)
    try {
      // Let every layer finish or fail before reporting: no download is still running when the pull says it failed.
      const results = await Promise.allSettled(layers.map(l => this.fetchLayer(client, ref.repository, l, emit, signal)))
      const failed = results.find(r => r.status === 'rejected')
      if (failed) throw (failed as PromiseRejectedResult).reason
      const record: ImageRecord = {
        reference: name, registry: ref.registry, repository: ref.repository, ...(ref.tag && !ref.digest ? { tag: ref.tag } : {}),
        manifest_digest: fetched.digest, ...(indexDigest ? { index_digest: indexDigest } : {}), config_digest: configDigest!,
        layers: digests, config, size: digests.reduce((n, d) => n + store.layerSize(d), 0),
        source: 'registry', pulled_at: now, last_used: now,
      }
      store.put(record)
      emit({ type: 'done', reference: name, digest: fetched.digest, size: record.size })
      return record
    } finally {
      store.unpin(digests)
    }
  }

  private async fetchLayer(client: RegistryClient, repository: string, d: Descriptor, emit: PullListener, signal: AbortSignal) {
    const { store } = this.o
    if (store.hasLayer(d.digest)) { emit({ type: 'layer', digest: d.digest, status: 'cached', total: d.size }); return }
    emit({ type: 'layer', digest: d.digest, status: 'waiting', total: d.size })
    let last = 0
    const download = async (dest: string) => {
      try {
        await this.slots.run(() => client.downloadBlob(repository, d, dest, bytes => {
          const t = Date.now()
          if (t - last < 100 && bytes !== d.size) return
          last = t
          emit({ type: 'layer', digest: d.digest, status: 'downloading', current: bytes, total: d.size })
        }, signal), signal)
      } catch (err) {
        if (signal.aborted) throw new LayerAbandoned(`the pull downloading layer ${d.digest} was abandoned`)
        throw err
      }
    }
    for (;;) {
      try {
        await store.ensureLayer(d.digest, download, () => emit({ type: 'layer', digest: d.digest, status: 'extracting', current: d.size, total: d.size }))
        break
      } catch (err) {
        // Another pull was downloading this layer and was abandoned: this one is not, so it fetches it itself.
        if (err instanceof LayerAbandoned && !signal.aborted) continue
        if (signal.aborted) throw signal.reason
        throw err
      }
    }
    emit({ type: 'layer', digest: d.digest, status: 'done', current: d.size, total: d.size })
  }
}

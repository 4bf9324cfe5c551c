// The linux launcher's ImageProvisioner for Docker/OCI images (`--image_providers=docker`): finds the image in the
// store or pulls it (registry, or tarballs under a local --docker_registry directory), assembles the container's
// root with the configured backend, and keeps track of which containers use which image so GC never takes an image
// from under a live container. Also what the agent's /api/meso/v1/images endpoints and PRUNE_IMAGES call.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readFlagFile } from '../../core/auth.ts'
import { logger } from '../../core/log.ts'
import { credentialsFor, parseDockerConfig, type RegistryCredentials } from '../../core/registry/docker-config.ts'
import { runtimeConfig } from '../../core/registry/manifest.ts'
import { formatReference, parseDefaultRegistry, parseInsecureRegistries, parseReference, registryBaseUrl, type ImageReference } from '../../core/registry/reference.ts'
import type { RegistryClient } from '../../core/registry/registry-client.ts'
import type { Image } from '../../core/v1/messages.ts'
import type { ImageProvisioner, ProvisionedImage } from '../containerizer/provisioner.ts'
import { kernelFilesystems, selectBackend, type BackendName, type RootfsBackend } from './backends/backend.ts'
import { BindBackend } from './backends/bind.ts'
import { CopyBackend } from './backends/copy.ts'
import { OverlayBackend } from './backends/overlay.ts'
import { ArchiveError, readImageArchive } from './image-archive.ts'
import { credentialsFromImage } from './image-credentials.ts'
import { parseBytes, planGc, type GcPlan } from './image-gc.ts'
import type { ImagePuller, PullListener } from './image-puller.ts'
import { ImageStore, type ImageRecord } from './image-store.ts'
import { imagePullMetrics } from '../metrics.ts'
import type { Timer } from '../../core/metrics/timer.ts'

const log = logger('provisioner')

/** Where images come from when a reference names no registry host and --docker_registry is a directory. */
const LOCAL_REGISTRY = 'local'

export interface ImageSummary {
  reference: string
  digest: string
  size: number
  layers: number
  source: ImageRecord['source']
  pulled_at: number
  last_used: number
  /** Live containers using the image. */
  containers: number
}

interface ContainerImage { reference: string; layers: string[]; backend: BackendName }

export function backendFor(name: BackendName): RootfsBackend {
  switch (name) {
    case 'overlay': return new OverlayBackend()
    case 'copy': return new CopyBackend()
    case 'bind': return new BindBackend()
    default: throw new Error(`no ${name} backend`)
  }
}

/** `--image_providers` holds docker (the default with the linux launcher). */
export function dockerImagesEnabled(flags: Record<string, any>): boolean {
  const v = flags.image_providers
  if (v === undefined || v === '') return true
  return String(v).toLowerCase().split(',').map(s => s.trim()).includes('docker')
}

export class DockerImageProvisioner implements ImageProvisioner {
  readonly store: ImageStore
  readonly backend: RootfsBackend
  private pullerLoad?: Promise<ImagePuller>
  /** containerizer/mesos/provisioner/docker_store/image_pull_ms (src/agent/metrics.ts). */
  private readonly pullTimer: Timer
  private readonly containers = new Map<string, ContainerImage>()
  private readonly clients = new Map<string, RegistryClient>()
  private readonly agentCredentials?: Map<string, RegistryCredentials>
  private readonly insecure: Set<string>
  private readonly defaultRegistry: string
  private readonly localDir?: string
  private readonly gcMaxBytes: number
  private readonly containersDir: string
  private readonly mountPoints: string[]
  private readonly stallTimeoutMs?: number

  /** Reads and checks the image flags; throws with the flag's name when one is wrong. */
  constructor(flags: Record<string, any>, workDir: string, filesystems = kernelFilesystems(readFileSync('/proc/filesystems', 'utf8'))) {
    this.backend = backendFor(selectBackend(flags.image_provisioner_backend, filesystems))
    const reg = String(flags.docker_registry ?? '')
    if (reg.startsWith('/') || reg.startsWith('file://')) {
      this.localDir = reg.replace(/^file:\/\//, '')
      this.defaultRegistry = LOCAL_REGISTRY
    } else {
      const d = parseDefaultRegistry(flags.docker_registry)
      this.defaultRegistry = d.host
    }
    this.insecure = parseInsecureRegistries(flags.docker_registry_insecure)
    // An explicit http:// in --docker_registry is the operator saying the default registry is plain HTTP.
    if (/^http:\/\//i.test(reg)) this.insecure.add(this.defaultRegistry)
    if (flags.docker_config) {
      try { this.agentCredentials = parseDockerConfig(readFlagFile(flags.docker_config), '--docker_config') } catch (err) {
        throw new Error(`--docker_config: ${(err as Error).message}`)
      }
    }
    try { this.gcMaxBytes = parseBytes(flags.image_gc_max_bytes) } catch (err) { throw new Error(`--image_gc_max_bytes: ${(err as Error).message}`) }
    this.store = new ImageStore(flags.docker_store_dir ?? join(workDir, 'store', 'docker'))
    this.store.init()
    this.containersDir = join(workDir, 'provisioner', 'containers')
    mkdirSync(this.containersDir, { recursive: true })
    this.mountPoints = ['proc', 'dev', 'sys', 'tmp', 'run', String(flags.sandbox_directory ?? '/mnt/mesos/sandbox')]
    // Mesos hands --fetcher_stall_timeout to its registry fetcher (src/slave/containerizer/mesos/provisioner/docker/store.cpp).
    if (typeof flags.fetcher_stall_timeout === 'number') this.stallTimeoutMs = flags.fetcher_stall_timeout
    this.pullTimer = imagePullMetrics()
    log.info(`Docker images: store ${this.store.root}, backend ${this.backend.name}, default registry ${this.localDir ?? this.defaultRegistry}${this.insecure.size ? `, plain HTTP for ${[...this.insecure].join(',')}` : ''}`)
  }

  parse(name: string): ImageReference {
    return parseReference(name, this.defaultRegistry)
  }

  /** The registry client and puller load at the first pull: an agent that never pulls never holds them (idle RSS, README Performance). */
  private puller(): Promise<ImagePuller> {
    this.pullerLoad ??= (async () => {
      const [{ ImagePuller }, { RegistryClient }] = await Promise.all([import('./image-puller.ts'), import('../../core/registry/registry-client.ts')])
      return new ImagePuller({ store: this.store, client: (r, c) => this.client(RegistryClient, r, c) })
    })().catch(err => { this.pullerLoad = undefined; throw err })
    return this.pullerLoad
  }

  private client(Client: typeof RegistryClient, registry: string, credentials?: RegistryCredentials): RegistryClient {
    // One client per registry and credentials, so Bearer tokens are reused across pulls until they expire.
    const key = `${registry}\0${credentials ? Bun.hash(`${credentials.username}\0${credentials.password}`).toString(16) : ''}`
    let c = this.clients.get(key)
    if (!c) {
      if (this.clients.size >= 64) this.clients.delete(this.clients.keys().next().value!)
      c = new Client({ registry, baseUrl: registryBaseUrl(registry, this.insecure), credentials, stallTimeoutMs: this.stallTimeoutMs })
      this.clients.set(key, c)
    }
    return c
  }

  /** The image in the store for a reference (by name, or by digest for pinned references). */
  find(ref: ImageReference): ImageRecord | undefined {
    return this.store.get(formatReference(ref)) ?? (ref.digest ? this.store.findByDigest(ref.digest) : undefined)
  }

  /**
   * Pulls (always asking the registry) with the given credentials, else the agent's --docker_config ones. `signal`
   * abandons it (the task was killed); the download itself stops once no one else waits for it.
   */
  async pull(ref: ImageReference, credentials?: Map<string, RegistryCredentials>, listener?: PullListener, signal?: AbortSignal): Promise<ImageRecord> {
    const name = formatReference(ref)
    const started = performance.now()
    let record: ImageRecord
    try {
      record = ref.registry === LOCAL_REGISTRY
        ? await this.loadLocal(ref)
        : await (await this.puller()).pull(ref, credentialsFor(ref.registry, credentials, this.agentCredentials), listener, signal)
    } catch (err) {
      this.pullTimer.record(performance.now() - started)
      if (signal?.aborted) throw new Error(`pull of image ${name} abandoned: ${(signal.reason as Error)?.message ?? signal.reason}`)
      throw new Error(`failed to pull image ${name}: ${(err as Error).message}`)
    }
    this.pullTimer.record(performance.now() - started)
    log.info(`Pulled image ${name} (${record.manifest_digest.slice(0, 19)}, ${record.layers.length} layers, ${mb(record.size)}) in ${((performance.now() - started) / 1000).toFixed(2)}s`)
    void this.autoGc()
    return record
  }

  async provision(containerId: string, image: Image, opts: { sandbox: string; signal?: AbortSignal }): Promise<ProvisionedImage> {
    if (image.type !== 'DOCKER' || !image.docker?.name) {
      throw new Error(image.type === 'APPC' ? 'APPC images are not supported by meso; use a Docker/OCI image' : 'the image has no docker name')
    }
    const ref = this.parse(image.docker.name)
    const name = formatReference(ref)
    // cached=false (Mesos' "force pull") re-checks the manifest with the registry, so the task's credentials are
    // proven even when another task already pulled the image.
    let record = image.cached !== false ? this.find(ref) : undefined
    record ??= await this.pull(ref, credentialsFromImage(image, ref.registry), undefined, opts.signal)
    const dir = join(this.containersDir, containerId)
    this.store.pin(record.layers)
    try {
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir, { recursive: true })
      const used: ContainerImage = { reference: record.reference, layers: record.layers, backend: this.backend.name }
      writeFileSync(join(dir, 'image.json'), JSON.stringify(used))
      const layers = record.layers.map(d => {
        const l = this.store.layer(d)
        if (!l) throw new Error(`layer ${d} is missing from the store`)
        return { digest: d, dir: this.store.layerDir(d), link: this.store.layerLink(d), whiteouts: l.whiteouts, opaques: l.opaques }
      })
      const rootfs = await this.backend.provision(dir, layers, this.mountPoints)
      this.containers.set(containerId, used)
      this.store.touch(record.reference)
      return { rootfs, config: { ...record.config } }
    } catch (err) {
      this.store.unpin(record.layers)
      await this.backend.destroy(dir).catch(() => {})
      throw new Error(`failed to provision image ${name} with the ${this.backend.name} backend: ${(err as Error).message}`)
    }
  }

  async destroy(containerId: string) {
    const dir = join(this.containersDir, containerId)
    const used = this.containers.get(containerId) ?? readContainerImage(dir)
    if (!used && !existsSync(dir)) return
    await backendFor(used?.backend ?? this.backend.name).destroy(dir)
    if (this.containers.delete(containerId) && used) this.store.unpin(used.layers)
  }

  async recover(known: Set<string>) {
    for (const id of safeReaddir(this.containersDir)) {
      const dir = join(this.containersDir, id)
      const used = readContainerImage(dir)
      if (known.has(id) && used) {
        this.containers.set(id, used)
        this.store.pin(used.layers)
        continue
      }
      try {
        await backendFor(used?.backend ?? this.backend.name).destroy(dir)
        log.info(`Removed the root filesystem of unknown container ${id}`)
      } catch (err) {
        log.warn(`Could not remove the root filesystem of unknown container ${id}: ${(err as Error).message}`)
      }
    }
  }

  // ---- operator features (meso image …, PRUNE_IMAGES) ----

  list(): ImageSummary[] {
    const users = new Map<string, number>()
    for (const c of this.containers.values()) users.set(c.reference, (users.get(c.reference) ?? 0) + 1)
    return this.store.list().map(r => ({
      reference: r.reference, digest: r.manifest_digest, size: r.size, layers: r.layers.length, source: r.source,
      pulled_at: r.pulled_at, last_used: r.last_used, containers: users.get(r.reference) ?? 0,
    })).sort((a, b) => a.reference.localeCompare(b.reference))
  }

  /** Removes an image (by reference or manifest digest) and the layers only it used. Refuses while it is in use. */
  remove(name: string): { removed: string[]; freed_bytes: number } {
    const record = /^sha256:[a-f0-9]{64}$/.test(name) ? this.store.findByDigest(name) : this.find(this.parse(name))
    if (!record) throw new ImageNotFound(`no image ${name} on this agent`)
    const users = [...this.containers.entries()].filter(([, c]) => c.reference === record.reference).map(([id]) => id)
    if (users.length) throw new ImageInUse(`image ${record.reference} is used by ${users.length} running container(s): ${users.slice(0, 3).join(', ')}`)
    this.store.removeImage(record.reference)
    const plan = this.collect(Number.MAX_SAFE_INTEGER, new Set())
    return { removed: [record.reference], freed_bytes: plan.freedBytes }
  }

  /** `meso image gc`: LRU down to --image_gc_max_bytes (all unused images with `all`), then unreferenced layers. */
  gc(opts: { all?: boolean; excluded?: string[] } = {}): { removed: string[]; freed_bytes: number } {
    const excluded = new Set((opts.excluded ?? []).map(n => formatReference(this.parse(n))))
    const plan = this.collect(opts.all ? 0 : this.gcMaxBytes || Number.MAX_SAFE_INTEGER, excluded)
    return { removed: plan.images, freed_bytes: plan.freedBytes }
  }

  /** PRUNE_IMAGES: every image no container uses goes, except `excluded_images`. */
  prune(excluded: Image[]) {
    return this.gc({ all: true, excluded: excluded.filter(i => i.type === 'DOCKER' && i.docker?.name).map(i => i.docker!.name) })
  }

  private collect(maxBytes: number, excluded: Set<string>): GcPlan {
    const layers = new Map(this.store.layerDigests().map(d => [d, this.store.layerSize(d)]))
    const inUse = new Set([...this.containers.values()].map(c => c.reference))
    const plan = planGc({ images: this.store.list(), layers, inUse, excluded, pinned: this.store.pinned() }, maxBytes)
    for (const r of plan.images) this.store.removeImage(r)
    for (const l of plan.layers) this.store.removeLayer(l)
    if (plan.images.length || plan.layers.length) log.info(`Image GC removed ${plan.images.length} image(s) and ${plan.layers.length} layer(s), ${mb(plan.freedBytes)}`)
    return plan
  }

  private async autoGc() {
    if (!this.gcMaxBytes) return
    try { this.collect(this.gcMaxBytes, new Set()) } catch (err) { log.warn(`Image GC failed: ${(err as Error).message}`) }
  }

  /** `meso image load`: every image in a docker-archive or OCI-layout tarball (`reference` names an unnamed one). */
  async load(tarPath: string, reference?: string): Promise<ImageRecord[]> {
    mkdirSync(this.store.tmpDir, { recursive: true })
    const work = mkdtempSync(join(this.store.tmpDir, 'load-'))
    try {
      const images = await readImageArchive(tarPath, work)
      if (reference && images.length !== 1) throw new ArchiveError(`the archive holds ${images.length} images; a name can only be given for one`)
      const out: ImageRecord[] = []
      for (const img of images) {
        const names = reference ? [reference] : img.names.filter(n => !/^[\w][\w.-]*$/.test(n) || n.includes('/'))
        if (!names.length) throw new ArchiveError(`the archive does not name its image${img.names.length ? ` (only the tag '${img.names[0]}')` : ''}; give a name, e.g. meso image load FILE --name registry/repo:tag`)
        for (const l of img.layers) await this.store.ensureLayer(l.digest, async dest => { await Bun.write(dest, Bun.file(l.path)) })
        const now = Math.floor(Date.now() / 1000)
        for (const n of names) {
          const ref = this.parse(n)
          const record: ImageRecord = {
            reference: formatReference(ref), registry: ref.registry, repository: ref.repository, ...(ref.tag ? { tag: ref.tag } : {}),
            manifest_digest: img.manifestDigest, config_digest: img.configDigest, layers: img.layers.map(l => l.digest),
            config: runtimeConfig(img.config), size: img.layers.reduce((s, l) => s + this.store.layerSize(l.digest), 0),
            source: 'archive', pulled_at: now, last_used: now,
          }
          this.store.put(record)
          out.push(record)
          log.info(`Loaded image ${record.reference} (${img.layers.length} layers, ${mb(record.size)})`)
        }
      }
      return out
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }

  /** Mesos' local puller: `<dir>/<repo>:<tag>.tar` for references without a registry host. */
  private async loadLocal(ref: ImageReference): Promise<ImageRecord> {
    const file = join(this.localDir!, `${ref.repository}:${ref.tag ?? 'latest'}.tar`)
    if (!existsSync(file)) throw new Error(`no ${ref.repository}:${ref.tag ?? 'latest'}.tar in the local image directory ${this.localDir} (--docker_registry)`)
    const [record] = await this.load(file, formatReference(ref))
    return record!
  }
}

export class ImageNotFound extends Error {}
export class ImageInUse extends Error {}

function readContainerImage(dir: string): ContainerImage | undefined {
  try { return JSON.parse(readFileSync(join(dir, 'image.json'), 'utf8')) as ContainerImage } catch { return undefined }
}

function safeReaddir(dir: string): string[] { try { return readdirSync(dir) } catch { return [] } }

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`

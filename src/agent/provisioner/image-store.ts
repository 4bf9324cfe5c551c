// The agent's content-addressed image store (--docker_store_dir, default <work_dir>/store/docker), shared by all
// containers:
//
//   layers/<hex>/fs          a layer unpacked in overlay form (whiteouts as 0/0 devices, opaque dirs by xattr)
//   layers/<hex>/layer.json  its unpacked size and whiteouts (for the copy backend)
//   l/<20 hex>               short symlink to layers/<hex>/fs: keeps overlay's lowerdir= option under a page
//   images.json              image records by canonical reference (written to a temp file, then renamed)
//   tmp/                     pulls in progress; emptied at start
//
// Nothing is visible half-done: a layer is unpacked under tmp/ and renamed into layers/ only once its digest checked
// out and tar succeeded; an image record is written only once all its layers are in. Concurrent requests for the same
// layer share one download (in-process; one agent owns a store).

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ImageRuntimeConfig } from '../../core/registry/manifest.ts'
import { extractLayer, type ExtractedLayer } from './layer-extract.ts'

export interface ImageRecord {
  /** Canonical reference (`registry/repository:tag` or `…@digest`). */
  reference: string
  registry: string
  repository: string
  tag?: string
  /** Digest of the platform image manifest (synthesized for images loaded from a docker-archive). */
  manifest_digest: string
  /** Digest of the manifest list / OCI index the tag pointed to, if any. */
  index_digest?: string
  config_digest: string
  /** Layer blob digests, base layer first. */
  layers: string[]
  config: ImageRuntimeConfig
  /** Unpacked bytes of all layers. */
  size: number
  source: 'registry' | 'archive'
  /** Epoch seconds. */
  pulled_at: number
  last_used: number
}

export interface LayerRecord extends ExtractedLayer { digest: string; created: number }

const hexOf = (digest: string) => {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest)
  if (!m) throw new Error(`unsupported layer digest '${digest}'`)
  return m[1]!
}

export class ImageStore {
  private images = new Map<string, ImageRecord>()
  private readonly layerCache = new Map<string, LayerRecord>()
  private readonly inflight = new Map<string, Promise<LayerRecord>>()
  /** Layers held by pulls in progress and by provisioned containers: never collected. */
  private readonly pins = new Map<string, number>()

  constructor(readonly root: string) {}

  private get indexPath() { return join(this.root, 'images.json') }
  get tmpDir() { return join(this.root, 'tmp') }
  layerDir(digest: string) { return join(this.root, 'layers', hexOf(digest), 'fs') }

  /** Creates the layout, drops leftovers of interrupted pulls, loads the index (forgetting images missing layers). */
  init() {
    rmSync(this.tmpDir, { recursive: true, force: true })
    for (const d of ['layers', 'l', 'tmp']) mkdirSync(join(this.root, d), { recursive: true })
    try {
      const parsed = JSON.parse(readFileSync(this.indexPath, 'utf8'))
      for (const r of Object.values<ImageRecord>(parsed.images ?? {})) this.images.set(r.reference, r)
    } catch { /* no index yet */ }
    let dropped = false
    for (const r of [...this.images.values()]) {
      if (!r.layers.every(l => this.hasLayer(l))) { this.images.delete(r.reference); dropped = true }
    }
    if (dropped) this.save()
  }

  private save() {
    const tmp = `${this.indexPath}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify({ version: 1, images: Object.fromEntries(this.images) }, null, 1))
    renameSync(tmp, this.indexPath)
  }

  // ---- images ----

  list(): ImageRecord[] { return [...this.images.values()] }
  get(reference: string): ImageRecord | undefined { return this.images.get(reference) }
  findByDigest(digest: string): ImageRecord | undefined {
    return [...this.images.values()].find(r => r.manifest_digest === digest || r.index_digest === digest)
  }

  put(record: ImageRecord) {
    for (const l of record.layers) if (!this.hasLayer(l)) throw new Error(`image ${record.reference}: layer ${l} is not in the store`)
    this.images.set(record.reference, record)
    this.save()
  }

  touch(reference: string) {
    const r = this.images.get(reference)
    if (!r) return
    r.last_used = Math.floor(Date.now() / 1000)
    this.save()
  }

  removeImage(reference: string): boolean {
    const had = this.images.delete(reference)
    if (had) this.save()
    return had
  }

  // ---- layers ----

  hasLayer(digest: string): boolean {
    return this.layerCache.has(digest) || existsSync(join(this.root, 'layers', hexOf(digest), 'layer.json'))
  }

  layer(digest: string): LayerRecord | undefined {
    const cached = this.layerCache.get(digest)
    if (cached) return cached
    try {
      const rec = JSON.parse(readFileSync(join(this.root, 'layers', hexOf(digest), 'layer.json'), 'utf8')) as LayerRecord
      this.layerCache.set(digest, rec)
      return rec
    } catch { return undefined }
  }

  layerDigests(): string[] {
    return readdirSync(join(this.root, 'layers')).filter(h => /^[a-f0-9]{64}$/.test(h)).map(h => `sha256:${h}`)
  }

  /**
   * The layer, unpacked; when missing, `fetchBlob(dest)` must write its verified blob to `dest` (a temp file), which
   * is then unpacked and moved into place. Concurrent calls for one digest share the work.
   */
  ensureLayer(digest: string, fetchBlob: (dest: string) => Promise<void>, onExtracting?: () => void): Promise<LayerRecord> {
    const have = this.layer(digest)
    if (have) return Promise.resolve(have)
    let p = this.inflight.get(digest)
    if (!p) {
      p = this.produceLayer(digest, fetchBlob, onExtracting).finally(() => this.inflight.delete(digest))
      this.inflight.set(digest, p)
    }
    return p
  }

  /** Whether a layer is being fetched right now (a second pull then waits for it). */
  layerInFlight(digest: string): boolean { return this.inflight.has(digest) }

  private async produceLayer(digest: string, fetchBlob: (dest: string) => Promise<void>, onExtracting?: () => void): Promise<LayerRecord> {
    const hex = hexOf(digest)
    mkdirSync(this.tmpDir, { recursive: true })
    const tmp = mkdtempSync(join(this.tmpDir, `layer-${hex.slice(0, 12)}-`))
    try {
      const blob = join(tmp, 'blob')
      await fetchBlob(blob)
      onExtracting?.()
      const extracted = await extractLayer(blob, join(tmp, 'fs'))
      rmSync(blob, { force: true })
      const rec: LayerRecord = { digest, created: Math.floor(Date.now() / 1000), ...extracted }
      writeFileSync(join(tmp, 'layer.json'), JSON.stringify(rec))
      const final = join(this.root, 'layers', hex)
      rmSync(final, { recursive: true, force: true })
      renameSync(tmp, final)
      this.layerCache.set(digest, rec)
      return rec
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true })
      throw err
    }
  }

  /** The short path of a layer for overlay's lowerdir (created on first use). */
  layerLink(digest: string): string {
    const hex = hexOf(digest)
    const link = join(this.root, 'l', hex.slice(0, 20))
    const target = join('..', 'layers', hex, 'fs')
    try { if (readlinkSync(link) === target) return link } catch { /* missing */ }
    const tmp = `${link}.${process.pid}.tmp`
    rmSync(tmp, { force: true })
    symlinkSync(target, tmp)
    renameSync(tmp, link)
    return link
  }

  /** Removes a layer: renamed away first, so a half-deleted layer is never visible under layers/. */
  removeLayer(digest: string) {
    const hex = hexOf(digest)
    this.layerCache.delete(digest)
    rmSync(join(this.root, 'l', hex.slice(0, 20)), { force: true })
    const dir = join(this.root, 'layers', hex)
    if (!existsSync(dir)) return
    mkdirSync(this.tmpDir, { recursive: true })
    const doomed = join(this.tmpDir, `del-${hex}-${Date.now()}`)
    renameSync(dir, doomed)
    rmSync(doomed, { recursive: true, force: true })
  }

  pin(digests: string[]) { for (const d of digests) this.pins.set(d, (this.pins.get(d) ?? 0) + 1) }
  unpin(digests: string[]) {
    for (const d of digests) {
      const n = (this.pins.get(d) ?? 0) - 1
      if (n > 0) this.pins.set(d, n)
      else this.pins.delete(d)
    }
  }
  pinned(): Set<string> { return new Set([...this.pins.keys(), ...this.inflight.keys()]) }

  layerSize(digest: string): number { return this.layer(digest)?.size ?? 0 }
}

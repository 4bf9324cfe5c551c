// Registry requests are bounded and cancellable (docs/security-files.md, pull timeouts): against a server on
// loopback that accepts connections and never answers, a request fails after the stall timeout naming the
// registry, the request and the timeout; a body that stops mid-way is resumed or fails the same way; a caller's
// signal ends a pull at once and closes its connection; pulls sharing a job stop only when all have given up.

import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { ImagePuller } from '../../src/agent/provisioner/image-puller.ts'
import { ImageStore } from '../../src/agent/provisioner/image-store.ts'
import { parseReference } from '../../src/core/registry/reference.ts'
import { RegistryClient, sha256Hex } from '../../src/core/registry/registry-client.ts'
import { startHungRegistry, type HungRegistry } from '../helpers/hung-registry.ts'
import { tempDir, waitFor } from '../helpers/processes.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => { for (const c of cleanups.splice(0)) await c() })

async function hung(): Promise<HungRegistry> {
  const h = await startHungRegistry()
  cleanups.push(() => h.stop())
  return h
}

/** Milliseconds `p` takes to settle, and its error. */
async function timed(p: Promise<unknown>): Promise<{ ms: number; error?: Error }> {
  const t0 = performance.now()
  try { await p; return { ms: performance.now() - t0 } } catch (err) { return { ms: performance.now() - t0, error: err as Error } }
}

const client = (h: { host: string; url: string }, o: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}) =>
  new RegistryClient({ registry: h.host, baseUrl: h.url, attempts: 2, backoffMs: 1, ...o })

describe('stall timeout', () => {
  test('a registry that accepts and never answers fails the request after the stall timeout, naming registry, request and timeout', async () => {
    const h = await hung()
    const r = await timed(client(h, { stallTimeoutMs: 300 }).getManifest('meso/busybox', '1'))
    expect(r.error?.message).toBe(`registry ${h.host} did not answer GET /v2/ within 300ms (--fetcher_stall_timeout)`)
    // Not retried: a registry that does not answer at all is not "having a moment".
    expect(r.ms).toBeGreaterThanOrEqual(290)
    expect(r.ms).toBeLessThan(2000)
    expect(h.accepted()).toBe(1)
    await waitFor('the connection to close', () => h.open() === 0, 2000)
  })

  test('a body that stops mid-way is retried, then fails as stalled; a blob download resumes where it stopped', async () => {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 }, layers: [] })
    const blob = new Uint8Array(300_000).map((_, i) => i % 251)
    const digest = `sha256:${sha256Hex(blob)}`
    let blobGets = 0
    const ranges: (string | null)[] = []
    const server = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      fetch(req) {
        const path = new URL(req.url).pathname
        if (path === '/v2/') return Response.json({})
        // Half the manifest, then silence.
        const stalling = (bytes: Uint8Array) => new ReadableStream({ start(c) { c.enqueue(bytes) } })
        if (path.includes('/manifests/')) {
          const bytes = new TextEncoder().encode(manifest)
          return new Response(stalling(bytes.subarray(0, 50)), { headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Content-Length': String(bytes.length) } })
        }
        blobGets++
        ranges.push(req.headers.get('range'))
        const from = Number(/bytes=(\d+)-/.exec(req.headers.get('range') ?? '')?.[1] ?? 0)
        if (blobGets === 1) return new Response(stalling(blob.subarray(0, 100_000)), { headers: { 'Content-Length': String(blob.length) } })
        return new Response(blob.subarray(from), { status: from ? 206 : 200 })
      },
    })
    cleanups.push(() => server.stop(true))
    const reg = { host: `127.0.0.1:${server.port}`, url: `http://127.0.0.1:${server.port}` }
    const c = client(reg, { stallTimeoutMs: 300 })
    const m = await timed(c.getManifest('meso/app', '1'))
    expect(m.error?.message).toBe(`registry ${reg.host} stalled sending GET /v2/meso/app/manifests/1: nothing for 300ms (--fetcher_stall_timeout)`)
    const dest = join(tempDir('meso-stall-'), 'blob')
    expect(await c.downloadBlob('meso/app', { digest, size: blob.length, mediaType: 'x' }, dest)).toBe(blob.length)
    expect(ranges).toEqual([null, 'bytes=100000-'])
  })
})

describe('cancellation', () => {
  test('a caller\'s signal ends a pull at once, with its reason, and closes the connection', async () => {
    const h = await hung()
    const ctl = new AbortController()
    const p = timed(client(h, { stallTimeoutMs: 60_000 }).getManifest('meso/busybox', '1', ctl.signal))
    await waitFor('the request to arrive', () => h.accepted() === 1, 2000)
    setTimeout(() => ctl.abort(new Error('task t1 was killed')), 100)
    const r = await p
    expect(r.error?.message).toBe('task t1 was killed')
    expect(r.ms).toBeLessThan(1000)
    await waitFor('the connection to close', () => h.open() === 0, 2000)
  })

  test('pulls sharing a job: one giving up leaves the download running for the other; the last one stops it', async () => {
    const h = await hung()
    const store = new ImageStore(join(tempDir('meso-pull-cancel-'), 'store'))
    store.init()
    const puller = new ImagePuller({ store, client: r => client({ host: r, url: h.url }, { stallTimeoutMs: 60_000 }) })
    const ref = parseReference(`${h.host}/meso/busybox:1`, 'docker.io')
    const a = new AbortController(), b = new AbortController()
    const pa = timed(puller.pull(ref, undefined, undefined, a.signal))
    const pb = timed(puller.pull(ref, undefined, undefined, b.signal))
    await waitFor('the shared request', () => h.accepted() === 1, 2000)
    a.abort(new Error('task a was killed'))
    expect((await pa).error?.message).toBe('task a was killed')
    await Bun.sleep(200)
    expect(h.open()).toBe(1) // b still waits for it
    b.abort(new Error('task b was killed'))
    expect((await pb).error?.message).toBe('task b was killed')
    await waitFor('the shared connection to close', () => h.open() === 0, 2000)
    expect(h.accepted()).toBe(1)
  })
})

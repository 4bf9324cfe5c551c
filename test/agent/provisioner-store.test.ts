// The image store and puller: content-addressed layers that appear only when complete, deduplicated concurrent
// pulls, progress events, failures that leave nothing behind, GC planning, task credentials, archives.

import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { readImageArchive } from '../../src/agent/provisioner/image-archive.ts'
import { credentialsFromImage } from '../../src/agent/provisioner/image-credentials.ts'
import { parseBytes, planGc } from '../../src/agent/provisioner/image-gc.ts'
import { ImagePuller, type PullEvent } from '../../src/agent/provisioner/image-puller.ts'
import { ImageStore } from '../../src/agent/provisioner/image-store.ts'
import { parseReference } from '../../src/core/registry/reference.ts'
import { RegistryClient } from '../../src/core/registry/registry-client.ts'
import { FakeRegistry } from '../helpers/fake-registry.ts'
import { imageFromLayers, layerFromTar, sha256, tarDirectory, writeDockerArchive, writeOciArchive, writeTree, type BuiltImage } from '../helpers/image-fixtures.ts'
import { tempDir } from '../helpers/processes.ts'

const root = process.getuid?.() === 0
if (!root) console.warn('\n*** SKIPPING image store tests that unpack layers: they need root ***\n')
const asRoot = root ? describe : describe.skip

const servers: FakeRegistry[] = []
afterEach(() => { for (const s of servers.splice(0)) s.stop() })

function fixture(dir: string, n = 2): BuiltImage {
  const layers = Array.from({ length: n }, (_, i) => layerFromTar(tarDirectory(writeTree(join(dir, `src${i}`), { [`f${i}`]: `content ${i} `.repeat(20_000) }))))
  return imageFromLayers(layers)
}

function serve(img: BuiltImage, o: ConstructorParameters<typeof FakeRegistry>[0] = {}) {
  const reg = new FakeRegistry(o)
  servers.push(reg)
  reg.addBlob(img.config)
  for (const l of img.layers) reg.addBlob(l.gz)
  reg.addManifest('meso/app', '1', img.manifest, img.mediaType)
  return reg
}

function puller(store: ImageStore, reg: FakeRegistry) {
  return new ImagePuller({ store, client: r => new RegistryClient({ registry: r, baseUrl: reg.url, backoffMs: 1, attempts: 2 }) })
}

asRoot('image store and puller', () => {
  test('concurrent pulls of one image share one download per layer; a second pull finds the layers cached', async () => {
    const dir = tempDir('meso-store-')
    const img = fixture(dir)
    const reg = serve(img)
    const store = new ImageStore(join(dir, 'store'))
    store.init()
    const p = puller(store, reg)
    const ref = parseReference(`${reg.host}/meso/app:1`)
    const events: PullEvent[][] = [[], [], []]
    const records = await Promise.all(events.map(ev => p.pull(ref, undefined, e => ev.push(e))))
    expect(new Set(records.map(r => r.manifest_digest))).toEqual(new Set([img.manifestDigest]))
    for (const l of img.layers) expect(reg.requests.filter(r => r.path.endsWith(`/blobs/${l.digest}`)).length).toBe(1)
    // Every caller sees the whole story: resolved, then each layer to done.
    for (const ev of events) {
      expect(ev[0]!.type).toBe('resolved')
      for (const l of img.layers) expect(ev.some(e => e.type === 'layer' && e.digest === l.digest && e.status === 'done')).toBe(true)
    }
    expect(events[0]!.filter(e => e.type === 'layer').map(e => (e as any).status)).toEqual(expect.arrayContaining(['waiting', 'downloading', 'extracting', 'done']))
    const again: PullEvent[] = []
    await p.pull(ref, undefined, e => again.push(e))
    expect(again.filter(e => e.type === 'layer').map(e => (e as any).status)).toEqual(['cached', 'cached'])
    expect(store.get(`${reg.host}/meso/app:1`)!.layers).toEqual(img.layers.map(l => l.digest))
    expect(readdirSync(join(dir, 'store/layers')).length).toBe(2)
    expect(readdirSync(join(dir, 'store/tmp'))).toEqual([])
  })

  test('a layer that fails verification is not stored, the image is not recorded, nothing is left in tmp', async () => {
    const dir = tempDir('meso-store-')
    const img = fixture(dir)
    const reg = serve(img)
    const flipped = new Uint8Array(img.layers[1]!.gz)
    flipped[100]! ^= 0xff
    reg.blobs.set(img.layers[1]!.digest, flipped)
    const store = new ImageStore(join(dir, 'store'))
    store.init()
    const err = await puller(store, reg).pull(parseReference(`${reg.host}/meso/app:1`), undefined).catch(e => e)
    expect(err.message).toContain('digest mismatch')
    expect(store.hasLayer(img.layers[1]!.digest)).toBe(false)
    expect(store.list()).toEqual([])
    expect(readdirSync(join(dir, 'store/tmp'))).toEqual([])
  })

  test('an interrupted download is resumed; a garbage blob that passes the digest (not a tar) is not stored', async () => {
    const dir = tempDir('meso-store-')
    const img = fixture(dir, 1)
    const reg = serve(img, { cutBlobs: 1 })
    const store = new ImageStore(join(dir, 'store'))
    store.init()
    await puller(store, reg).pull(parseReference(`${reg.host}/meso/app:1`), undefined)
    expect(reg.requests.some(r => r.range)).toBe(true)
    const junk = new TextEncoder().encode('not a tarball at all')
    await expect(store.ensureLayer(sha256(junk), async dest => { writeFileSync(dest, junk) })).rejects.toThrow('tar could not unpack the layer')
    expect(store.hasLayer(sha256(junk))).toBe(false)
    expect(readdirSync(join(dir, 'store/tmp'))).toEqual([])
  })

  test('ensureLayer runs the fetch once for concurrent callers; init() drops leftovers and images missing layers', async () => {
    const dir = tempDir('meso-store-')
    const store = new ImageStore(join(dir, 'store'))
    store.init()
    const layer = layerFromTar(tarDirectory(writeTree(join(dir, 'src'), { a: 'a' })))
    let fetches = 0
    const fetchBlob = async (dest: string) => { fetches++; await Bun.sleep(20); writeFileSync(dest, layer.gz) }
    await Promise.all(Array.from({ length: 5 }, () => store.ensureLayer(layer.digest, fetchBlob)))
    expect(fetches).toBe(1)
    store.put({ reference: 'r/a:1', registry: 'r', repository: 'a', tag: '1', manifest_digest: 'sha256:m', config_digest: 'sha256:c', layers: [layer.digest], config: {}, size: 1, source: 'registry', pulled_at: 0, last_used: 0 })
    mkdirSync(join(dir, 'store/tmp/layer-half-done'), { recursive: true })
    const again = new ImageStore(join(dir, 'store'))
    again.init()
    expect(existsSync(join(dir, 'store/tmp/layer-half-done'))).toBe(false)
    expect(again.list().map(i => i.reference)).toEqual(['r/a:1'])
    again.removeLayer(layer.digest)
    const third = new ImageStore(join(dir, 'store'))
    third.init()
    expect(third.list()).toEqual([])
  })
})

describe('image GC', () => {
  const images = [
    { reference: 'old', layers: ['base', 'old'], last_used: 1 },
    { reference: 'mid', layers: ['base', 'mid'], last_used: 2 },
    { reference: 'new', layers: ['base', 'new'], last_used: 3 },
  ]
  const layers = new Map([['base', 100], ['old', 50], ['mid', 50], ['new', 50], ['orphan', 10]])
  const input = { images, layers, inUse: new Set<string>(), excluded: new Set<string>(), pinned: new Set<string>() }

  test('LRU down to the limit; shared layers stay; orphan layers go', () => {
    expect(planGc(input, 200)).toEqual({ images: ['old'], layers: ['old', 'orphan'], freedBytes: 60 })
    expect(planGc(input, 150)).toEqual({ images: ['old', 'mid'], layers: ['mid', 'old', 'orphan'], freedBytes: 110 })
    expect(planGc(input, 10_000)).toEqual({ images: [], layers: ['orphan'], freedBytes: 10 })
  })

  test('images in use, excluded images and pinned layers stay; 0 = prune', () => {
    expect(planGc({ ...input, inUse: new Set(['old']), excluded: new Set(['new']) }, 0)).toEqual({ images: ['mid'], layers: ['mid', 'orphan'], freedBytes: 60 })
    expect(planGc({ ...input, pinned: new Set(['orphan']) }, 0).layers).toEqual(['base', 'mid', 'new', 'old'])
  })

  test('byte sizes', () => {
    expect(parseBytes('10GB')).toBe(10 * 1024 ** 3)
    expect(parseBytes('512MB')).toBe(512 * 1024 ** 2)
    expect(parseBytes('1.5GiB')).toBe(1.5 * 1024 ** 3)
    expect(parseBytes('2048')).toBe(2048)
    expect(parseBytes(undefined)).toBe(0)
    expect(() => parseBytes('lots')).toThrow('not a byte size')
  })
})

describe('credentials a task brings', () => {
  const cfg = JSON.stringify({ auths: { 'reg.io:5000': { auth: Buffer.from('u:p').toString('base64') } } })
  test('Image.Docker.config (base64 VALUE secret, or raw JSON), the deprecated credential, and REFERENCE secrets', () => {
    expect(credentialsFromImage({ type: 'DOCKER', docker: { name: 'x', config: { type: 'VALUE', value: { data: Buffer.from(cfg).toString('base64') } } } }, 'reg.io:5000')!.get('reg.io:5000')).toEqual({ username: 'u', password: 'p' })
    expect(credentialsFromImage({ type: 'DOCKER', docker: { name: 'x', config: { type: 'VALUE', value: { data: cfg } } } }, 'reg.io:5000')!.get('reg.io:5000')!.username).toBe('u')
    expect(credentialsFromImage({ type: 'DOCKER', docker: { name: 'x', credential: { principal: 'old', secret: 's' } } }, 'reg.io')!.get('reg.io')).toEqual({ username: 'old', password: 's' })
    expect(credentialsFromImage({ type: 'DOCKER', docker: { name: 'x' } }, 'reg.io')).toBeUndefined()
    expect(() => credentialsFromImage({ type: 'DOCKER', docker: { name: 'x', config: { type: 'REFERENCE', reference: { name: 'vault/x' } } } }, 'r')).toThrow('no secret resolver')
    expect(() => credentialsFromImage({ type: 'DOCKER', docker: { name: 'x', config: { type: 'VALUE', value: { data: Buffer.from('{"auths": sec').toString('base64') } } } }, 'r')).toThrow('Image.Docker.config is not valid JSON')
  })
})

describe('image archives', () => {
  test('docker-archive and OCI layout read back; a corrupt layer is refused', async () => {
    const dir = tempDir('meso-archive-')
    const img = fixture(dir, 2)
    writeDockerArchive(join(dir, 'd.tar'), img, ['reg.io/a:1'])
    mkdirSync(join(dir, 'x1'))
    const [d] = await readImageArchive(join(dir, 'd.tar'), join(dir, 'x1'))
    expect(d!.names).toEqual(['reg.io/a:1'])
    expect(d!.configDigest).toBe(img.configDigest)
    expect(d!.layers.map(l => l.digest)).toEqual(img.layers.map(l => l.diffId))
    writeOciArchive(join(dir, 'o.tar'), img, 'reg.io/a:2')
    mkdirSync(join(dir, 'x2'))
    const [o] = await readImageArchive(join(dir, 'o.tar'), join(dir, 'x2'))
    expect(o).toMatchObject({ names: ['reg.io/a:2'], manifestDigest: img.manifestDigest })
    const broken = { ...img, layers: [img.layers[0]!, { ...img.layers[1]!, tar: img.layers[0]!.tar }] }
    writeDockerArchive(join(dir, 'bad.tar'), broken, ['reg.io/a:3'])
    mkdirSync(join(dir, 'x3'))
    await expect(readImageArchive(join(dir, 'bad.tar'), join(dir, 'x3'))).rejects.toThrow('the archive is corrupt')
    writeFileSync(join(dir, 'junk.tar'), 'junk')
    mkdirSync(join(dir, 'x4'))
    await expect(readImageArchive(join(dir, 'junk.tar'), join(dir, 'x4'))).rejects.toThrow('cannot unpack the archive')
  })
})

// The registry client against an in-process fake registry: auth flows, redirects that must not carry credentials,
// retries, resumed downloads and digest checks.

import { afterEach, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MEDIA } from '../../src/core/registry/manifest.ts'
import { RegistryClient } from '../../src/core/registry/registry-client.ts'
import { RegistryError } from '../../src/core/registry/registry-error.ts'
import { sha256 } from '../helpers/image-fixtures.ts'
import { FakeRegistry, type FakeRegistryOptions } from '../helpers/fake-registry.ts'
import { tempDir } from '../helpers/processes.ts'

const servers: FakeRegistry[] = []
afterEach(() => { for (const s of servers.splice(0)) s.stop() })

function setup(o: FakeRegistryOptions = {}, creds?: { username: string; password: string }) {
  const reg = new FakeRegistry(o)
  servers.push(reg)
  const layer = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff)
  const layerDigest = reg.addBlob(layer)
  const configDigest = reg.addBlob('{"config":{}}')
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { digest: configDigest, size: 13 }, layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: layerDigest, size: layer.length }] })
  reg.addManifest('meso/app', '1', manifest, MEDIA.dockerManifest)
  const client = new RegistryClient({ registry: reg.host, baseUrl: reg.url, credentials: creds, backoffMs: 5 })
  return { reg, client, layer, layerDigest, configDigest, manifest }
}

describe('registry client', () => {
  test('manifest: digest of the raw bytes, all four Accept types sent', async () => {
    const { client, manifest } = setup()
    const m = await client.getManifest('meso/app', '1')
    expect(m.digest).toBe(sha256(manifest))
    expect(m.manifest.kind).toBe('image')
    expect((await client.getManifest('meso/app', m.digest)).body).toBe(manifest)
  })

  test('a blob is streamed to disk and verified; a wrong digest is refused as a digest mismatch', async () => {
    const { client, reg, layer, layerDigest } = setup()
    const dir = tempDir()
    expect(await client.downloadBlob('meso/app', { digest: layerDigest, size: layer.length }, join(dir, 'b'))).toBe(layer.length)
    expect(new Uint8Array(readFileSync(join(dir, 'b')))).toEqual(layer)
    const liar = `sha256:${'0'.repeat(64)}`
    reg.blobs.set(liar, layer)
    const err = await client.downloadBlob('meso/app', { digest: liar, size: layer.length }, join(dir, 'c')).catch(e => e)
    expect(err).toBeInstanceOf(RegistryError)
    expect(err.message).toContain('digest mismatch')
    expect(err.message).toContain(`registry ${reg.host}`)
  })

  test('Basic: credentials go with every request', async () => {
    const { client, reg } = setup({ auth: { kind: 'basic', user: 'u', pass: 'p' } }, { username: 'u', password: 'p' })
    await client.getManifest('meso/app', '1')
    expect(reg.requests.every(r => r.authorization === `Basic ${btoa('u:p')}`)).toBe(true)
  })

  test('Bearer: one token per scope, fetched with Basic credentials, access_token accepted, reused until it expires', async () => {
    const { client, reg, configDigest } = setup({ auth: { kind: 'bearer', user: 'u', pass: 'p' } }, { username: 'u', password: 'p' })
    await client.getManifest('meso/app', '1')
    await client.getBlobText('meso/app', { digest: configDigest })
    await client.getManifest('meso/app', '1')
    expect(reg.tokensIssued).toBe(1)
    const tokenReq = reg.requests.find(r => r.path.startsWith('/token'))!
    expect(tokenReq.path).toContain('scope=repository%3Ameso%2Fapp%3Apull')
    expect(tokenReq.path).toContain('service=fake')
    expect(tokenReq.authorization).toBe(`Basic ${btoa('u:p')}`)
    // A token the registry stops accepting is replaced once.
    reg.validTokens.clear()
    await client.getManifest('meso/app', '1')
    expect(reg.tokensIssued).toBe(2)
  })

  test('Bearer: wrong credentials fail at the token server with 401, naming it and the registry', async () => {
    const { client, reg } = setup({ auth: { kind: 'bearer', user: 'u', pass: 'p' } }, { username: 'u', password: 'nope' })
    const err = await client.getManifest('meso/app', '1').catch(e => e)
    expect(err.status).toBe(401)
    expect(err.message).toContain(`token server ${reg.url}/token of registry ${reg.host} answered 401 Unauthorized`)
    expect(err.message).not.toContain('nope')
  })

  test('Bearer without credentials: a token without access ends in 401 after one retry, not a loop', async () => {
    const { client, reg } = setup({ auth: { kind: 'bearer', user: 'u', pass: 'p' } })
    const err = await client.getManifest('meso/app', '1').catch(e => e)
    expect(err.status).toBe(401)
    expect(err.message).toContain('probably needs credentials')
    expect(reg.requests.filter(r => r.path.startsWith('/token')).length).toBe(1)
  })

  test('a blob redirect to another origin is followed without the Authorization header', async () => {
    const storage = new FakeRegistry()
    servers.push(storage)
    const { client, reg, layer, layerDigest } = setup({ auth: { kind: 'basic', user: 'u', pass: 'p' }, redirectBlobsTo: storage.url }, { username: 'u', password: 'p' })
    storage.blobs.set(layerDigest, layer)
    const dir = tempDir()
    await client.downloadBlob('meso/app', { digest: layerDigest, size: layer.length }, join(dir, 'b'))
    expect(reg.requests.some(r => r.path.includes('/blobs/') && r.authorization)).toBe(true)
    const hops = storage.requests.filter(r => r.path.includes('/blobs/'))
    expect(hops.length).toBe(1)
    expect(hops[0]!.authorization).toBeUndefined()
  })

  test('a body cut short is resumed with Range and still verified', async () => {
    const { client, reg, layer, layerDigest } = setup({ cutBlobs: 1 })
    const dir = tempDir()
    expect(await client.downloadBlob('meso/app', { digest: layerDigest, size: layer.length }, join(dir, 'b'))).toBe(layer.length)
    const gets = reg.requests.filter(r => r.path.includes(layerDigest))
    expect(gets.length).toBe(2)
    expect(gets[1]!.range).toMatch(/^bytes=\d+-$/)
    expect(Number(/\d+/.exec(gets[1]!.range!)![0])).toBeGreaterThan(0)
    expect(sha256(readFileSync(join(dir, 'b')))).toBe(layerDigest)
  })

  test('a server that ignores Range gets a fresh download', async () => {
    const { client, layer, layerDigest } = setup({ cutBlobs: 1, noRange: true })
    const dir = tempDir()
    await client.downloadBlob('meso/app', { digest: layerDigest, size: layer.length }, join(dir, 'b'))
    expect(sha256(readFileSync(join(dir, 'b')))).toBe(layerDigest)
  })

  test('503s are retried; persistent failures end with the status and the registry named', async () => {
    const { client } = setup({ unavailable: 2 })
    expect((await client.getManifest('meso/app', '1')).manifest.kind).toBe('image')
    const { client: c2, reg: r2 } = setup({ unavailable: 100 })
    const err = await c2.getManifest('meso/app', '1').catch(e => e)
    expect(err.message).toContain(`registry ${r2.host} answered 503 Service Unavailable`)
  })

  test('404 and connection refused read well', async () => {
    const { client, reg } = setup()
    const err = await client.getManifest('meso/app', 'nope').catch(e => e)
    expect(err.message).toBe(`registry ${reg.host} answered 404 Not Found to GET /v2/meso/app/manifests/nope (MANIFEST_UNKNOWN: manifest unknown); check the image name and tag`)
    reg.stop()
    const dead = new RegistryClient({ registry: reg.host, baseUrl: reg.url, attempts: 2, backoffMs: 1 })
    const e2 = await dead.getManifest('meso/app', '1').catch(e => e)
    expect(e2.message).toBe(`cannot reach registry ${reg.host} (GET /v2/ on ${reg.url}): connection refused`)
  })
})

import { describe, expect, test } from 'bun:test'
import { describePlatforms, hostPlatform, MANIFEST_ACCEPT, MEDIA, parseImageConfig, parseManifest, runtimeConfig, selectPlatform } from '../../src/core/registry/manifest.ts'

const d = (c: string) => `sha256:${c.repeat(64)}`
const layer = (c: string, mediaType = 'application/vnd.docker.image.rootfs.diff.tar.gzip') => ({ mediaType, digest: d(c), size: 10 })

describe('manifests', () => {
  test('Docker schema 2 and OCI image manifests', () => {
    const docker = parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { digest: d('c'), size: 5 }, layers: [layer('a'), layer('b')] }))
    expect(docker).toMatchObject({ kind: 'image', mediaType: MEDIA.dockerManifest, config: { digest: d('c') } })
    expect(docker.kind === 'image' && docker.layers.map(l => l.digest)).toEqual([d('a'), d('b')])
    // OCI manifests may omit mediaType in the body; the Content-Type tells.
    const oci = parseManifest(JSON.stringify({ schemaVersion: 2, config: { digest: d('c') }, layers: [layer('a', 'application/vnd.oci.image.layer.v1.tar+zstd')] }), `${MEDIA.ociManifest}; charset=utf-8`)
    expect(oci.mediaType).toBe(MEDIA.ociManifest)
    expect(MANIFEST_ACCEPT.split(', ')).toEqual([MEDIA.dockerManifest, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.ociIndex])
  })

  test('schema 1 is refused with a clear message; foreign and unknown layers too', () => {
    expect(() => parseManifest(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }), MEDIA.schema1Signed)).toThrow('Docker schema 1 manifest, which meso does not support')
    expect(() => parseManifest('{"schemaVersion":2}', MEDIA.schema1)).toThrow('schema 1')
    expect(() => parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { digest: d('c') }, layers: [layer('a', 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')] }))).toThrow('foreign')
    expect(() => parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { digest: d('c') }, layers: [layer('a', 'application/x-weird')] }))).toThrow('unsupported media type')
    expect(() => parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { digest: 'sha512:abc' }, layers: [] }))).toThrow('only sha256')
    expect(() => parseManifest('nope')).toThrow('not valid JSON')
  })

  test('manifest lists and OCI indexes: this platform (linux/amd64 here), variants, and a useful error list', () => {
    const list = parseManifest(JSON.stringify({
      schemaVersion: 2, mediaType: MEDIA.dockerList,
      manifests: [
        { digest: d('1'), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { digest: d('2'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { digest: d('3'), platform: { os: 'linux', architecture: 'amd64' } },
        { digest: d('4'), platform: { os: 'windows', architecture: 'amd64' } },
      ],
    }))
    expect(list.kind).toBe('index')
    if (list.kind !== 'index') return
    expect(selectPlatform(list.manifests, { os: 'linux', architecture: 'amd64' })!.digest).toBe(d('3'))
    expect(selectPlatform(list.manifests, { os: 'linux', architecture: 'arm64' })!.digest).toBe(d('2'))
    expect(selectPlatform(list.manifests, { os: 'linux', architecture: 'arm', variant: 'v7' })!.digest).toBe(d('1'))
    expect(selectPlatform(list.manifests, { os: 'linux', architecture: 's390x' })).toBeUndefined()
    expect(describePlatforms(list.manifests)).toBe('linux/arm/v7, linux/arm64/v8, linux/amd64, windows/amd64')
    expect(hostPlatform().os).toBe('linux')
    if (process.arch === 'x64') expect(selectPlatform(list.manifests)!.digest).toBe(d('3'))
    const index = parseManifest(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: d('5'), platform: { os: 'linux', architecture: 'amd64' } }] }), MEDIA.ociIndex)
    expect(index.kind).toBe('index')
  })

  test('image config: Entrypoint, Cmd, Env, WorkingDir, User; nulls and empties dropped', () => {
    const c = parseImageConfig(JSON.stringify({ os: 'linux', architecture: 'amd64', config: { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], Env: ['PATH=/usr/bin', 'A=b=c'], WorkingDir: '/srv', User: '101:101' }, rootfs: { diff_ids: [d('a')] } }))
    expect(c).toEqual({ os: 'linux', architecture: 'amd64', diffIds: [d('a')], entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'], env: ['PATH=/usr/bin', 'A=b=c'], workingDir: '/srv', user: '101:101' })
    expect(runtimeConfig(c)).toEqual({ entrypoint: ['/docker-entrypoint.sh'], cmd: ['nginx', '-g', 'daemon off;'], env: ['PATH=/usr/bin', 'A=b=c'], workingDir: '/srv', user: '101:101' })
    expect(parseImageConfig(JSON.stringify({ config: { Entrypoint: null, Cmd: [], WorkingDir: '' } }))).toEqual({ os: undefined, architecture: undefined, diffIds: [] })
  })
})

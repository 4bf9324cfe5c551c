import { describe, expect, test } from 'bun:test'
import { apiHost, formatReference, manifestReference, normalizeRegistryHost, parseDefaultRegistry, parseInsecureRegistries, parseReference, registryBaseUrl } from '../../src/core/registry/reference.ts'

const D = 'sha256:' + 'a'.repeat(64)

describe('image references', () => {
  test.each([
    ['busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
    ['team/app:2', { registry: 'docker.io', repository: 'team/app', tag: '2' }],
    ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['index.docker.io/library/busybox:1', { registry: 'docker.io', repository: 'library/busybox', tag: '1' }],
    ['localhost:5000/busybox:1', { registry: 'localhost:5000', repository: 'busybox', tag: '1' }],
    ['localhost/busybox', { registry: 'localhost', repository: 'busybox', tag: 'latest' }],
    ['127.0.0.1:5000/meso/busybox', { registry: '127.0.0.1:5000', repository: 'meso/busybox', tag: 'latest' }],
    ['quay.io/org/sub/app:v1.2-rc_3', { registry: 'quay.io', repository: 'org/sub/app', tag: 'v1.2-rc_3' }],
    [`busybox@${D}`, { registry: 'docker.io', repository: 'library/busybox', digest: D }],
    [`reg.example.com:443/a/b:7@${D}`, { registry: 'reg.example.com:443', repository: 'a/b', tag: '7', digest: D }],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app', tag: 'latest' }],
    ['Registry.Example.com/app', { registry: 'registry.example.com', repository: 'app', tag: 'latest' }],
  ])('%s', (input, want) => {
    expect(parseReference(input)).toEqual(want as any)
  })

  test('the default registry (--docker_registry) applies to names without a host; library/ only on Docker Hub', () => {
    expect(parseReference('busybox', 'registry.local:5000')).toEqual({ registry: 'registry.local:5000', repository: 'busybox', tag: 'latest' })
    expect(parseReference('team/app:1', 'registry.local:5000').registry).toBe('registry.local:5000')
    expect(parseReference('other.io/app', 'registry.local:5000').registry).toBe('other.io')
  })

  test.each([
    ['', 'empty'], ['Busybox', 'invalid repository'], ['busybox:', 'invalid tag'], ['busybox:-x', 'invalid tag'],
    ['busybox@sha256:zz', 'invalid digest'], ['a//b', 'invalid repository'], ['localhost:5000/', 'no repository'], ['up/Per', 'invalid repository'],
  ])('rejects %p (%s)', (input, msg) => {
    expect(() => parseReference(input)).toThrow(msg)
  })

  test('formatting and what to ask the registry for', () => {
    const r = parseReference('busybox')
    expect(formatReference(r)).toBe('docker.io/library/busybox:latest')
    expect(manifestReference(r)).toBe('latest')
    const pinned = parseReference(`x.io/a:1@${D}`)
    expect(formatReference(pinned)).toBe(`x.io/a:1@${D}`)
    expect(manifestReference(pinned)).toBe(D)
    expect(formatReference(parseReference(`x.io/a@${D}`))).toBe(`x.io/a@${D}`)
  })

  test('registry hosts: Docker Hub spellings, URLs, insecure list, API base URL', () => {
    for (const v of ['https://index.docker.io/v1/', 'docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io']) expect(normalizeRegistryHost(v)).toBe('docker.io')
    expect(normalizeRegistryHost('http://10.0.0.5:5000/')).toBe('10.0.0.5:5000')
    expect(parseDefaultRegistry(undefined)).toEqual({ host: 'docker.io', scheme: 'https' })
    expect(parseDefaultRegistry('http://reg:5000')).toEqual({ host: 'reg:5000', scheme: 'http' })
    expect(parseDefaultRegistry('reg:5000')).toEqual({ host: 'reg:5000', scheme: undefined })
    const insecure = parseInsecureRegistries(' 127.0.0.1:5000, localhost:5001 ,')
    expect([...insecure]).toEqual(['127.0.0.1:5000', 'localhost:5001'])
    expect(registryBaseUrl('127.0.0.1:5000', insecure)).toBe('http://127.0.0.1:5000')
    expect(registryBaseUrl('127.0.0.1:5002', insecure)).toBe('https://127.0.0.1:5002')
    expect(registryBaseUrl('docker.io', insecure)).toBe('https://registry-1.docker.io')
    expect(apiHost('quay.io')).toBe('quay.io')
  })
})

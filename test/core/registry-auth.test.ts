import { describe, expect, test } from 'bun:test'
import { parseChallenges, preferredChallenge } from '../../src/core/registry/auth-challenge.ts'
import { credentialsFor, dockerConfigFor, parseDockerConfig } from '../../src/core/registry/docker-config.ts'
import { RegistryAuth, TokenCache, tokenFromResponse } from '../../src/core/registry/registry-auth.ts'
import { describeErrorBody, transportCause } from '../../src/core/registry/registry-error.ts'

const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('WWW-Authenticate challenges', () => {
  test('Bearer with realm, service and scope', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ])
  })

  test('Basic, unquoted values, spaces, several challenges in one header, commas and escaped quotes inside quotes', () => {
    expect(parseChallenges('Basic realm="meso-registry"')).toEqual([{ scheme: 'basic', params: { realm: 'meso-registry' } }])
    const many = parseChallenges('Basic realm="a, b", Bearer realm="http://t/token", service=reg , scope="repository:x:pull,push", error="insufficient_scope"')
    expect(many).toEqual([
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { realm: 'http://t/token', service: 'reg', scope: 'repository:x:pull,push', error: 'insufficient_scope' } },
    ])
    expect(preferredChallenge(many)!.scheme).toBe('bearer')
    expect(parseChallenges('Bearer realm="say \\"hi\\""')[0]!.params.realm).toBe('say "hi"')
    expect(parseChallenges('')).toEqual([])
    expect(parseChallenges(null)).toEqual([])
  })
})

describe('docker config.json credentials', () => {
  const config = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass:with:colons') },
      'registry.example.com:5000': { auth: b64('alice:pw') },
      'http://10.0.0.5:5000/': { username: 'bob', password: 'pw2' },
      'broken.example.com': { auth: b64('nocolon') },
      'empty.example.com': {},
    },
    credHelpers: { 'gcr.io': 'gcloud' },
  })

  test('keys are matched by canonical host; passwords may contain colons', () => {
    const m = parseDockerConfig(config)
    expect(credentialsFor('docker.io', m)).toEqual({ username: 'hubuser', password: 'hub:pass:with:colons' })
    expect(credentialsFor('registry-1.docker.io', m)).toEqual({ username: 'hubuser', password: 'hub:pass:with:colons' })
    expect(credentialsFor('registry.example.com:5000', m)).toEqual({ username: 'alice', password: 'pw' })
    expect(credentialsFor('registry.example.com', m)).toBeUndefined()
    expect(credentialsFor('10.0.0.5:5000', m)).toEqual({ username: 'bob', password: 'pw2' })
    expect(credentialsFor('broken.example.com', m)).toBeUndefined()
    expect(credentialsFor('empty.example.com', m)).toBeUndefined()
  })

  test('the first source with credentials for the host wins (task before agent)', () => {
    const task = parseDockerConfig(dockerConfigFor('registry.example.com:5000', { username: 'task', password: 't' }))
    const agent = parseDockerConfig(config)
    expect(credentialsFor('registry.example.com:5000', task, agent)!.username).toBe('task')
    expect(credentialsFor('docker.io', task, agent)!.username).toBe('hubuser')
    expect(credentialsFor('other.io', undefined, task, agent)).toBeUndefined()
  })

  test('invalid JSON is reported without echoing the content', () => {
    expect(() => parseDockerConfig('{"auths": {"x": {"auth": "c2VjcmV0"}', 'Image.Docker.config')).toThrow('Image.Docker.config is not valid JSON')
    try { parseDockerConfig('{"auths": "secret-value"}') } catch (err) { expect((err as Error).message).not.toContain('secret-value') }
  })
})

describe('tokens', () => {
  test('token or access_token, expires_in, cache until expiry minus leeway', () => {
    expect(tokenFromResponse('{"token":"a","expires_in":300}')).toEqual({ token: 'a', expiresIn: 300, issuedAt: undefined })
    expect(tokenFromResponse('{"access_token":"b"}')!.token).toBe('b')
    expect(tokenFromResponse('{"token":""}')).toBeUndefined()
    expect(tokenFromResponse('not json')).toBeUndefined()
    let now = 1_000_000
    const cache = new TokenCache(() => now)
    cache.set('repository:a:pull', 'tok', 60)
    expect(cache.get('repository:a:pull')).toBe('tok')
    expect(cache.get('repository:b:pull')).toBeUndefined()
    now += 49_000
    expect(cache.get('repository:a:pull')).toBe('tok')
    now += 2_000
    expect(cache.get('repository:a:pull')).toBeUndefined()
    cache.set('s', 'no-expiry-given')
    now += 45_000
    expect(cache.get('s')).toBe('no-expiry-given')
  })

  test('401 handling: Basic retried once with credentials, refused without; Bearer learnt and retried', () => {
    const creds = { username: 'u', password: 'p' }
    const basic = new RegistryAuth('r', creds)
    expect(basic.onUnauthorized('Basic realm="x"', 'repository:a:pull', undefined)).toEqual({ retry: true })
    expect(basic.onUnauthorized('Basic realm="x"', 'repository:a:pull', 'Basic dTpw')).toMatchObject({ retry: false, reason: 'the registry rejected the credentials' })
    expect(new RegistryAuth('r', undefined).onUnauthorized('Basic realm="x"', 's', undefined)).toMatchObject({ retry: false, reason: 'the registry requires credentials and none were given' })
    expect(new RegistryAuth('r', creds).onUnauthorized('Bearer realm="http://t/token",service="s"', 'repository:a:pull', 'Basic dTpw')).toEqual({ retry: true })
  })
})

describe('error text', () => {
  test('registry error bodies and transport failures read well', () => {
    expect(describeErrorBody('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[]}]}')).toBe('UNAUTHORIZED: authentication required')
    expect(describeErrorBody('<html><body>502 Bad Gateway</body></html>')).toBe('502 Bad Gateway')
    expect(transportCause(Object.assign(new Error('Unable to connect'), { code: 'ECONNREFUSED' }))).toEqual({ text: 'connection refused', transient: true })
    expect(transportCause(Object.assign(new Error('The TLS handshake failed'), { code: 'EPROTO' })).text).toContain('--docker_registry_insecure')
  })
})

// Real registries for image tests: distribution's `docker-registry` (Debian's 2.8.2) on a random loopback port,
// anonymous, with htpasswd Basic auth, or with Bearer tokens from a small JWT token server running in the test
// process, shaped as distribution's registry/auth/token/token.go verifies them (RS256 with the signing certificate in
// the x5c header, aud = service, integer exp/nbf).
// Several registries may share one storage directory, so an image pushed once is served by all of them.
// No bun:test imports: benchmarks use it too; callers stop what they start.

import { createSign, X509Certificate } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

export interface RegistryProcess {
  /** `127.0.0.1:PORT` */
  host: string
  url: string
  port: number
  proc: Subprocess
  log: () => string
  stop(): Promise<void>
}

export type RegistryAuthConfig =
  | { kind: 'none' }
  | { kind: 'htpasswd'; path: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootcertbundle: string }

export function registryUnavailable(): string | undefined {
  if (!Bun.which('docker-registry')) return 'docker-registry is not installed (apt-get install docker-registry, or ./install.sh)'
  return undefined
}

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

export async function startRegistry(dir: string, storage: string, auth: RegistryAuthConfig = { kind: 'none' }): Promise<RegistryProcess> {
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  let authYaml = ''
  if (auth.kind === 'htpasswd') authYaml = `auth:\n  htpasswd:\n    realm: meso-test\n    path: ${auth.path}\n`
  if (auth.kind === 'token') authYaml = `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n    rootcertbundle: ${auth.rootcertbundle}\n`
  const cfg = join(dir, 'config.yml')
  writeFileSync(cfg, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: meso-test-secret\n${authYaml}`)
  const proc = Bun.spawn(['docker-registry', 'serve', cfg], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  let output = ''
  const pump = async (s: ReadableStream<Uint8Array>) => { for await (const c of s) output += new TextDecoder().decode(c) }
  void pump(proc.stdout)
  void pump(proc.stderr)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 15_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${output}`)
    const ok = await fetch(`${url}/v2/`).then(() => true, () => false)
    if (ok) break
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`docker-registry not ready: ${output}`) }
    await Bun.sleep(50)
  }
  return { host: `127.0.0.1:${port}`, url, port, proc, log: () => output, async stop() { proc.kill('SIGKILL'); await proc.exited } }
}

/** bcrypt htpasswd file (distribution only accepts bcrypt), written with apache2-utils' htpasswd -Bbn. */
export function writeHtpasswd(path: string, users: Record<string, string>) {
  const lines = Object.entries(users).map(([u, p]) => {
    const r = Bun.spawnSync(['htpasswd', '-Bbn', u, p])
    if (r.exitCode !== 0) throw new Error(`htpasswd failed: ${r.stderr.toString()}`)
    return r.stdout.toString().trim()
  })
  writeFileSync(path, `${lines.join('\n')}\n`)
}

export interface TokenServer { url: string; realm: string; service: string; issuer: string; certPath: string; requests: string[]; stop(): void }

/**
 * A registry token server: Basic credentials checked against `users`; authenticated users get the actions they ask
 * for, anonymous ones get none (so a private repository answers 401 insufficient_scope).
 */
export function startTokenServer(dir: string, users: Record<string, string>): TokenServer {
  mkdirSync(dir, { recursive: true })
  const keyPath = join(dir, 'token.key'), certPath = join(dir, 'token.crt')
  const r = Bun.spawnSync(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', '/CN=meso-test-token', '-days', '2'], { stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`)
  const key = readFileSync(keyPath)
  const cert = new X509Certificate(readFileSync(certPath, 'utf8'))
  const b64u = (b: string | Buffer) => Buffer.from(b).toString('base64url')
  const service = 'meso-test-registry', issuer = 'meso-test-issuer'
  const requests: string[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1', port: 0,
    fetch(req) {
      const u = new URL(req.url)
      const auth = req.headers.get('authorization') ?? ''
      let sub = ''
      if (auth.startsWith('Basic ')) {
        const decoded = Buffer.from(auth.slice(6), 'base64').toString()
        const i = decoded.indexOf(':')
        const [name, pass] = [decoded.slice(0, i), decoded.slice(i + 1)]
        if (users[name] !== pass) return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}', { status: 401 })
        sub = name
      }
      requests.push(`${sub || 'anonymous'} ${u.searchParams.getAll('scope').join(' ')}`)
      const access = u.searchParams.getAll('scope').map(sc => {
        const [type, name, actions] = sc.split(':')
        return { type, name, actions: sub ? (actions ?? '').split(',') : [] }
      })
      const now = Math.floor(Date.now() / 1000)
      const header = { typ: 'JWT', alg: 'RS256', x5c: [cert.raw.toString('base64')] }
      const claims = { iss: issuer, sub, aud: u.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access }
      const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`
      const sig = createSign('sha256').update(input).sign(key)
      const token = `${input}.${b64u(sig)}`
      return Response.json({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() })
    },
  })
  const url = `http://127.0.0.1:${server.port}`
  return { url, realm: `${url}/token`, service, issuer, certPath, requests, stop: () => server.stop(true) }
}

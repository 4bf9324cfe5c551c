// LIBPROCESS_SSL_* parsing (core/tls/settings.ts), PEM loading and its errors (core/tls/material.ts), the options
// for Bun.serve / fetch / WebSocket (core/tls.ts) checked against real handshakes in this process, the agent's
// master endpoint, and the dev CA of `meso up --tls` (core/tls/dev-ca.ts). docs/security-tls.md.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { X509Certificate } from 'node:crypto'
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Server, TLSOptions } from 'bun'
import { masterEndpoint } from '../../src/agent/master-link.ts'
import { devCertNames } from '../../src/commands/up-tls.ts'
import { clientTls, httpScheme, loadTls, serverTls, TlsConfigError } from '../../src/core/tls.ts'
import { devTlsEnv, ensureDevCerts } from '../../src/core/tls/dev-ca.ts'
import { parseTlsSettings } from '../../src/core/tls/settings.ts'
import { tempDir } from '../helpers/processes.ts'
import { makeTestPki, tlsEnv, type TestPki } from '../helpers/tls-certs.ts'

let pki: TestPki
beforeAll(() => { pki = makeTestPki(tempDir('meso-tls-')) })

const BASE = { LIBPROCESS_SSL_ENABLED: 'true', LIBPROCESS_SSL_CERT_FILE: '/c.pem', LIBPROCESS_SSL_KEY_FILE: '/k.pem' }

describe('parseTlsSettings', () => {
  test('off unless LIBPROCESS_SSL_ENABLED is true or 1', () => {
    for (const v of [undefined, '', 'false', '0']) expect(parseTlsSettings({ LIBPROCESS_SSL_ENABLED: v }).settings).toBeUndefined()
    for (const v of ['true', '1']) expect(parseTlsSettings({ ...BASE, LIBPROCESS_SSL_ENABLED: v }).settings?.certFile).toBe('/c.pem')
  })

  test('a boolean that is not one names the variable', () => {
    expect(() => parseTlsSettings({ LIBPROCESS_SSL_ENABLED: 'yes' })).toThrow('LIBPROCESS_SSL_ENABLED=yes: expected true, false, 1 or 0')
    expect(() => parseTlsSettings({ ...BASE, LIBPROCESS_SSL_VERIFY_CERT: 'on' })).toThrow('LIBPROCESS_SSL_VERIFY_CERT=on')
  })

  test('TLS without a key or a certificate is a startup error, as in openssl.cpp', () => {
    expect(() => parseTlsSettings({ LIBPROCESS_SSL_ENABLED: 'true', LIBPROCESS_SSL_CERT_FILE: '/c' })).toThrow('set LIBPROCESS_SSL_KEY_FILE')
    expect(() => parseTlsSettings({ LIBPROCESS_SSL_ENABLED: 'true', LIBPROCESS_SSL_KEY_FILE: '/k' })).toThrow('set LIBPROCESS_SSL_CERT_FILE')
  })

  test('downgrade to plain HTTP is refused rather than ignored', () => {
    expect(() => parseTlsSettings({ ...BASE, LIBPROCESS_SSL_SUPPORT_DOWNGRADE: 'true' })).toThrow(TlsConfigError)
    expect(parseTlsSettings({ ...BASE, LIBPROCESS_SSL_SUPPORT_DOWNGRADE: 'false' }).settings).toBeDefined()
  })

  test('legacy names set the modern ones; a required client certificate implies verifying servers', () => {
    expect(parseTlsSettings(BASE).settings).toMatchObject({ verifyServerCert: false, requireClientCert: false })
    expect(parseTlsSettings({ ...BASE, LIBPROCESS_SSL_VERIFY_CERT: '1' }).settings).toMatchObject({ verifyServerCert: true, requireClientCert: false })
    expect(parseTlsSettings({ ...BASE, LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true' }).settings).toMatchObject({ verifyServerCert: true })
    expect(parseTlsSettings({ ...BASE, LIBPROCESS_SSL_REQUIRE_CERT: 'true' }).settings).toMatchObject({ verifyServerCert: true, requireClientCert: true })
    expect(parseTlsSettings({ ...BASE, LIBPROCESS_SSL_REQUIRE_CLIENT_CERT: 'true' }).settings).toMatchObject({ verifyServerCert: true, requireClientCert: true })
  })

  test('CA file, CA dir and ciphers are carried; unknown validation schemes are errors', () => {
    const s = parseTlsSettings({ ...BASE, LIBPROCESS_SSL_CA_FILE: '/ca.pem', LIBPROCESS_SSL_CA_DIR: '/cas', LIBPROCESS_SSL_CIPHERS: 'ECDHE-ECDSA-AES128-GCM-SHA256' }).settings
    expect(s).toMatchObject({ caFile: '/ca.pem', caDir: '/cas', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })
    expect(() => parseTlsSettings({ ...BASE, LIBPROCESS_SSL_HOSTNAME_VALIDATION_SCHEME: 'dns' })).toThrow("expected 'legacy' or 'openssl'")
  })

  test('settings meso leaves to its TLS library warn unless they hold the Mesos default', () => {
    expect(parseTlsSettings({ ...BASE, LIBPROCESS_SSL_ENABLE_TLS_V1_2: 'true', LIBPROCESS_SSL_ECDH_CURVES: 'auto', LIBPROCESS_SSL_VERIFICATION_DEPTH: '4' }).warnings).toEqual([])
    const { warnings } = parseTlsSettings({ ...BASE, LIBPROCESS_SSL_ENABLE_TLS_V1_0: 'true', LIBPROCESS_SSL_VERIFY_IPADD: 'true' })
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toContain('LIBPROCESS_SSL_VERIFY_IPADD=true is ignored')
    expect(warnings[1]).toContain('LIBPROCESS_SSL_ENABLE_TLS_V1_0=true is ignored')
  })

  test('the deprecated SSL_ prefix is not read (SSL_CERT_FILE means a CA bundle to OpenSSL tools)', () => {
    expect(parseTlsSettings({ SSL_ENABLED: 'true', SSL_CERT_FILE: '/etc/ssl/certs/ca.pem' }).settings).toBeUndefined()
  })
})

describe('loadTls', () => {
  test('loads the pair and the CA; server and client options follow the settings', () => {
    const tls = loadTls(tlsEnv(pki, { LIBPROCESS_SSL_REQUIRE_CLIENT_CERT: 'true' }))!
    expect(tls.cert).toContain('BEGIN CERTIFICATE')
    expect(tls.ca).toHaveLength(1)
    expect(serverTls(tls)).toMatchObject({ requestCert: true, rejectUnauthorized: true })
    expect(clientTls(tls)).toMatchObject({ rejectUnauthorized: true, cert: tls.cert, key: tls.key })
    const plain = loadTls(tlsEnv(pki))!
    expect(serverTls(plain)).toMatchObject({ requestCert: false, rejectUnauthorized: false })
    expect(clientTls(plain)?.rejectUnauthorized).toBe(false)
    expect(httpScheme(plain)).toBe('https')
    expect(loadTls({})).toBeUndefined()
    expect(httpScheme(undefined)).toBe('http')
    expect(serverTls(undefined)).toBeUndefined()
  })

  test('a missing file names the variable and the path', () => {
    expect(() => loadTls(tlsEnv(pki, { LIBPROCESS_SSL_CERT_FILE: '/nonexistent/cert.pem' }))).toThrow('LIBPROCESS_SSL_CERT_FILE=/nonexistent/cert.pem: cannot read it (no such file)')
    expect(() => loadTls(tlsEnv(pki, { LIBPROCESS_SSL_CA_FILE: '/nonexistent/ca.pem' }))).toThrow('LIBPROCESS_SSL_CA_FILE=/nonexistent/ca.pem: cannot read it (no such file)')
    expect(() => loadTls(tlsEnv(pki, { LIBPROCESS_SSL_KEY_FILE: pki.dir }))).toThrow(`LIBPROCESS_SSL_KEY_FILE=${pki.dir}: cannot read it (is a directory)`)
  })

  test('a key that is no PEM key, a certificate file without a certificate, and a mismatched pair are errors', () => {
    const junk = join(pki.dir, 'junk.pem')
    writeFileSync(junk, 'not a pem\n')
    expect(() => loadTls(tlsEnv(pki, { LIBPROCESS_SSL_KEY_FILE: junk }))).toThrow(`LIBPROCESS_SSL_KEY_FILE=${junk}: not a usable PEM private key`)
    expect(() => loadTls(tlsEnv(pki, { LIBPROCESS_SSL_CERT_FILE: junk }))).toThrow(`LIBPROCESS_SSL_CERT_FILE=${junk}: no PEM certificate in it`)
    expect(() => loadTls(tlsEnv(pki, { LIBPROCESS_SSL_CA_FILE: junk }))).toThrow(`LIBPROCESS_SSL_CA_FILE=${junk}: no PEM certificate in it`)
    expect(() => loadTls(tlsEnv(pki, { LIBPROCESS_SSL_KEY_FILE: pki.clientKeyFile }))).toThrow('do not belong together')
  })

  test('a CA directory (c_rehash layout) gives each certificate once; an empty one is an error', () => {
    const dir = join(pki.dir, 'cadir')
    mkdirSync(dir)
    copyFileSync(pki.caFile, join(dir, 'ca.pem'))
    symlinkSync(join(dir, 'ca.pem'), join(dir, 'abcd1234.0'))
    copyFileSync(pki.otherCaFile, join(dir, 'other.pem'))
    writeFileSync(join(dir, 'README'), 'not a certificate')
    const env = tlsEnv(pki, { LIBPROCESS_SSL_CA_FILE: '', LIBPROCESS_SSL_CA_DIR: dir })
    expect(loadTls(env)!.ca).toHaveLength(2)
    const empty = join(pki.dir, 'empty-cadir')
    mkdirSync(empty)
    expect(() => loadTls({ ...env, LIBPROCESS_SSL_CA_DIR: empty })).toThrow('no PEM certificate in any file of the directory')
    expect(() => loadTls({ ...env, LIBPROCESS_SSL_CA_DIR: '/nonexistent' })).toThrow('LIBPROCESS_SSL_CA_DIR=/nonexistent: cannot list it (no such directory)')
  })

  test('warns about an expired certificate and a key other users can read', () => {
    const key = join(pki.dir, 'open.key')
    copyFileSync(pki.keyFile, key)
    chmodSync(key, 0o644)
    const tls = loadTls(tlsEnv(pki, { LIBPROCESS_SSL_KEY_FILE: key }), new Date(Date.now() + 400 * 86_400_000))!
    expect(tls.warnings.some(w => w.includes('the certificate expired on'))).toBe(true)
    expect(tls.warnings.some(w => w.includes(`LIBPROCESS_SSL_KEY_FILE=${key}: other users can read the key file`))).toBe(true)
  })
})

describe('handshakes with these options', () => {
  const servers: Server<undefined>[] = []
  afterAll(() => { for (const s of servers) s.stop(true) })
  const serve = (tls: TLSOptions | undefined) => {
    const s = Bun.serve({ hostname: '127.0.0.1', port: 0, tls, fetch: () => new Response('ok') })
    servers.push(s)
    return s.port!
  }
  const get = (url: string, tls?: TLSOptions) => fetch(url, tls ? { tls } : {}).then(r => r.text(), (e: Error) => `refused: ${e.message}`)

  test('TLS only: plain HTTP is refused; a client trusting another CA is refused; the right CA is accepted', async () => {
    const port = serve(serverTls(loadTls(tlsEnv(pki))))
    expect(await get(`http://127.0.0.1:${port}/`)).toStartWith('refused')
    expect(await get(`https://127.0.0.1:${port}/`, { ca: readFileSync(pki.otherCaFile, 'utf8') })).toStartWith('refused')
    expect(await get(`https://127.0.0.1:${port}/`, { ca: readFileSync(pki.caFile, 'utf8') })).toBe('ok')
  })

  test('REQUIRE_CLIENT_CERT: no client certificate or one from another CA is refused; the daemon client options pass', async () => {
    const port = serve(serverTls(loadTls(tlsEnv(pki, { LIBPROCESS_SSL_REQUIRE_CLIENT_CERT: 'true' }))))
    const ca = readFileSync(pki.caFile, 'utf8')
    expect(await get(`https://127.0.0.1:${port}/`, { ca })).toStartWith('refused')
    expect(await get(`https://127.0.0.1:${port}/`, { ca, cert: readFileSync(pki.otherClientCertFile, 'utf8'), key: readFileSync(pki.otherClientKeyFile, 'utf8') })).toStartWith('refused')
    expect(await get(`https://127.0.0.1:${port}/`, { ca, cert: readFileSync(pki.clientCertFile, 'utf8'), key: readFileSync(pki.clientKeyFile, 'utf8') })).toBe('ok')
    expect(await get(`https://127.0.0.1:${port}/`, clientTls(loadTls(tlsEnv(pki, { LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true' }))))).toBe('ok')
  })

  test('VERIFY_SERVER_CERT decides whether a daemon accepts a server its CA did not sign', async () => {
    const port = serve(serverTls(loadTls(tlsEnv(pki))))
    const otherTrust = { LIBPROCESS_SSL_CA_FILE: pki.otherCaFile }
    expect(await get(`https://127.0.0.1:${port}/`, clientTls(loadTls(tlsEnv(pki, otherTrust))))).toBe('ok')
    expect(await get(`https://127.0.0.1:${port}/`, clientTls(loadTls(tlsEnv(pki, { ...otherTrust, LIBPROCESS_SSL_VERIFY_CERT: 'true' }))))).toStartWith('refused')
  })
})

describe('masterEndpoint', () => {
  test('host:port is ws:// without TLS and wss:// with it; the port defaults to 5050 for either scheme', () => {
    expect(masterEndpoint('10.0.0.1:5050', false)).toBe('ws://10.0.0.1:5050/internal/v1/agent')
    expect(masterEndpoint('10.0.0.1:5050', true)).toBe('wss://10.0.0.1:5050/internal/v1/agent')
    expect(masterEndpoint('https://master.example', true)).toBe('wss://master.example:5050/internal/v1/agent')
    expect(masterEndpoint('https://master.example:443', false)).toBe('wss://master.example/internal/v1/agent')
    expect(masterEndpoint('[::1]:6060', true)).toBe('wss://[::1]:6060/internal/v1/agent')
  })

  test('an explicit http:// master with TLS on is refused', () => {
    expect(() => masterEndpoint('http://10.0.0.1:5050', true)).toThrow('TLS is on (LIBPROCESS_SSL_ENABLED)')
  })
})

describe('dev CA (meso up --tls)', () => {
  test('makes a CA, a server certificate for every name and a client certificate, keys 0600; then reuses them', () => {
    const dir = join(tempDir('meso-devca-'), 'tls')
    const names = devCertNames('10.1.2.3', 'devbox', {})
    expect(names).toEqual({ dns: ['localhost', 'devbox'], ips: ['127.0.0.1', '::1', '10.1.2.3'] })
    const first = ensureDevCerts(dir, names)
    expect(first.issued).toHaveLength(3)
    const f = first.files
    for (const key of [f.caKeyFile, f.keyFile, f.clientKeyFile]) expect(statSync(key).mode & 0o777).toBe(0o600)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const verify = Bun.spawnSync(['openssl', 'verify', '-CAfile', f.caFile, f.certFile, f.clientCertFile], { stdout: 'pipe', stderr: 'pipe' })
    expect(verify.stdout.toString()).toContain(`${f.certFile}: OK`)
    expect(verify.stdout.toString()).toContain(`${f.clientCertFile}: OK`)
    const server = new X509Certificate(readFileSync(f.certFile, 'utf8'))
    expect(server.checkHost('devbox')).toBe('devbox')
    expect(server.checkIP('10.1.2.3')).toBe('10.1.2.3')
    expect(loadTls(devTlsEnv(f))?.settings.verifyServerCert).toBe(true)

    expect(ensureDevCerts(dir, names).issued).toEqual([])
    const ca = readFileSync(f.caFile, 'utf8')
    const more = ensureDevCerts(dir, { ...names, ips: [...names.ips, '10.9.9.9'] })
    expect(more.issued).toEqual([f.certFile])
    expect(readFileSync(f.caFile, 'utf8')).toBe(ca)
    expect(new X509Certificate(readFileSync(f.certFile, 'utf8')).checkIP('10.9.9.9')).toBe('10.9.9.9')
  })

  test('0.0.0.0 names every non-loopback interface address', () => {
    const ifs = { eth0: [{ address: '192.168.1.5', internal: false }, { address: 'fe80::1%eth0', internal: false }], lo: [{ address: '127.0.0.1', internal: true }] }
    expect(devCertNames('0.0.0.0', 'h', ifs).ips).toEqual(['127.0.0.1', '::1', '192.168.1.5', 'fe80::1'])
  })
})

// The CLI's TLS (src/client/tls.ts): which scheme a bare master address gets, the agents' scheme, the fetch
// options from --ca-cert / MESO_CA_CERT / LIBPROCESS_SSL_*, its usage errors and the hints for TLS failures.

import { afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { masterUrl } from '../../src/client/cluster.ts'
import { agentOrigin, configureClientTls, defaultMasterScheme, fetchTls, tlsHint } from '../../src/client/tls.ts'
import { tempDir } from '../helpers/processes.ts'
import { makeTestPki, tlsEnv, type TestPki } from '../helpers/tls-certs.ts'

let pki: TestPki
beforeAll(() => { pki = makeTestPki(tempDir('meso-cli-tls-')) })

const saved = { ...process.env }
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  Object.assign(process.env, saved)
  configureClientTls({})
})

function clearTlsEnv() {
  for (const k of Object.keys(process.env)) if (k.startsWith('LIBPROCESS_SSL_') || k === 'MESO_CA_CERT' || k === 'MESO_MASTER') delete process.env[k]
}

describe('scheme', () => {
  test('a bare master address is http:// until a CA is given; agents follow the master URL', () => {
    clearTlsEnv()
    process.env.MESO_CONFIG = '/nonexistent'
    configureClientTls({})
    expect(defaultMasterScheme()).toBe('http')
    expect(masterUrl()).toBe('http://127.0.0.1:5050')
    expect(agentOrigin('10.0.0.5:5051')).toBe('http://10.0.0.5:5051')
    configureClientTls({ 'ca-cert': pki.caFile })
    expect(masterUrl('10.0.0.1:5050')).toBe('https://10.0.0.1:5050')
    expect(agentOrigin('10.0.0.5:5051')).toBe('https://10.0.0.5:5051')
    expect(masterUrl('http://10.0.0.1:5050/')).toBe('http://10.0.0.1:5050')
    configureClientTls({})
    process.env.MESO_CA_CERT = pki.caFile
    expect(defaultMasterScheme()).toBe('https')
    delete process.env.MESO_CA_CERT
    process.env.LIBPROCESS_SSL_ENABLED = 'true'
    expect(defaultMasterScheme()).toBe('https')
  })
})

describe('fetchTls', () => {
  test('nothing for http://; for https:// the CA of --ca-cert, else MESO_CA_CERT, always verifying', () => {
    clearTlsEnv()
    expect(fetchTls('http://127.0.0.1:5050/api/v1')).toEqual({})
    expect(fetchTls('https://127.0.0.1:5050/api/v1').tls).toEqual({ rejectUnauthorized: true })
    process.env.MESO_CA_CERT = pki.otherCaFile
    configureClientTls({ 'ca-cert': pki.caFile })
    const tls = fetchTls('https://127.0.0.1:5050/api/v1').tls!
    expect(tls.rejectUnauthorized).toBe(true)
    expect(tls.ca).toEqual([readFileSync(pki.caFile, 'utf8').trim()])
    configureClientTls({})
    expect(fetchTls('https://x/').tls!.ca).toEqual([readFileSync(pki.otherCaFile, 'utf8').trim()])
  })

  test('LIBPROCESS_SSL_* in the CLI environment give the client certificate and the default CA', () => {
    clearTlsEnv()
    Object.assign(process.env, tlsEnv(pki, { LIBPROCESS_SSL_CERT_FILE: pki.clientCertFile, LIBPROCESS_SSL_KEY_FILE: pki.clientKeyFile }))
    configureClientTls({})
    const tls = fetchTls('https://127.0.0.1:5050/').tls!
    expect(String(tls.cert)).toContain('BEGIN CERTIFICATE')
    expect(String(tls.key)).toContain('PRIVATE KEY')
    expect(tls.ca).toHaveLength(1)
    expect(tls.rejectUnauthorized).toBe(true)
  })

  test('a --ca-cert that cannot be used is a usage error (exit 2) naming the flag', () => {
    clearTlsEnv()
    configureClientTls({ 'ca-cert': '/nonexistent/ca.pem' })
    let err: (Error & { exitCode?: number }) | undefined
    try { fetchTls('https://127.0.0.1:5050/') } catch (e) { err = e as Error }
    expect(err?.message).toBe('--ca-cert=/nonexistent/ca.pem: cannot read it (no such file)')
    expect(err?.exitCode).toBe(2)
  })
})

describe('tlsHint', () => {
  test('names the fix for an untrusted certificate, a refused handshake and plain HTTP to a TLS port', () => {
    expect(tlsHint('https://m:5050/', { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self signed certificate in certificate chain' })).toContain('--ca-cert')
    expect(tlsHint('https://m:5050/', { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: '' })).toContain('--ca-cert')
    expect(tlsHint('https://m:5050/', { code: 'EPROTO', message: 'The TLS handshake failed' })).toContain('LIBPROCESS_SSL_CERT_FILE')
    expect(tlsHint('https://m:5050/', { code: 'ECONNRESET', message: 'The socket connection was closed unexpectedly' })).toContain('LIBPROCESS_SSL_CERT_FILE')
    expect(tlsHint('http://m:5050/', { code: 'ECONNRESET', message: 'The socket connection was closed unexpectedly' })).toContain('https://')
    expect(tlsHint('http://m:5050/', { code: 'ConnectionRefused', message: 'Unable to connect' })).toBeUndefined()
  })
})

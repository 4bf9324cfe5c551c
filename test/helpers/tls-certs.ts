// Certificates for the TLS tests, made with the openssl CLI directly (not with meso's own dev CA code, which has
// tests of its own): a CA with a server certificate (localhost, 127.0.0.1; serverAuth and clientAuth, as libprocess
// uses one certificate both ways) and a client certificate, and a second, unrelated CA with a client certificate.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TestPki {
  dir: string
  caFile: string
  certFile: string
  keyFile: string
  clientCertFile: string
  clientKeyFile: string
  otherCaFile: string
  otherClientCertFile: string
  otherClientKeyFile: string
}

function openssl(args: string[]) {
  const r = Bun.spawnSync(['openssl', ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr.toString()}`)
}

function ca(dir: string, name: string) {
  const key = join(dir, `${name}.key`)
  const pem = join(dir, `${name}.pem`)
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', pem, '-days', '30',
    '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  return { key, pem }
}

function leaf(dir: string, name: string, issuer: { key: string; pem: string }, ext: string) {
  const key = join(dir, `${name}.key`)
  const csr = join(dir, `${name}.csr`)
  const pem = join(dir, `${name}.pem`)
  const extFile = join(dir, `${name}.ext`)
  writeFileSync(extFile, ext)
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${name}`])
  openssl(['x509', '-req', '-in', csr, '-CA', issuer.pem, '-CAkey', issuer.key, '-set_serial', String(Date.now()), '-days', '30', '-extfile', extFile, '-out', pem])
  return { key, pem }
}

export function makeTestPki(dir: string): TestPki {
  const main = ca(dir, 'ca')
  const server = leaf(dir, 'server', main, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n')
  const client = leaf(dir, 'client', main, 'extendedKeyUsage=clientAuth\n')
  const other = ca(dir, 'other-ca')
  const otherClient = leaf(dir, 'other-client', other, 'extendedKeyUsage=clientAuth\n')
  return {
    dir, caFile: main.pem, certFile: server.pem, keyFile: server.key, clientCertFile: client.pem, clientKeyFile: client.key,
    otherCaFile: other.pem, otherClientCertFile: otherClient.pem, otherClientKeyFile: otherClient.key,
  }
}

/** The LIBPROCESS_SSL_* environment of a daemon using the main CA's server certificate. */
export function tlsEnv(pki: TestPki, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LIBPROCESS_SSL_ENABLED: 'true',
    LIBPROCESS_SSL_CERT_FILE: pki.certFile,
    LIBPROCESS_SSL_KEY_FILE: pki.keyFile,
    LIBPROCESS_SSL_CA_FILE: pki.caFile,
    ...extra,
  }
}

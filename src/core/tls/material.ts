// Reads and checks the PEM files TLS settings name, so that a daemon fails at startup with the file and the problem
// named, instead of at its first handshake with an OpenSSL error code. Mesos loads the same files in
// `reinitialize` (3rdparty/libprocess/src/openssl.cpp) and exits on the first it cannot use; docs/security-tls.md.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { TLS_ENV_PREFIX, TlsConfigError, type TlsSettings } from './settings.ts'

export interface TlsMaterial {
  cert: string
  key: string
  /** Trusted CAs (PEM, one certificate each); absent: the TLS library's bundled roots. */
  ca?: string[]
  /** Problems that do not stop a daemon (an expired certificate, a key others can read), for its log. */
  warnings: string[]
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** Reads a file a variable names; the error says which variable, which file and why. */
export function readNamedFile(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message
    throw new TlsConfigError(`${what}=${path}: cannot read it (${why})`)
  }
}

/** The certificates in a PEM text (a bundle may hold several); none is an error naming the file. */
export function pemCertificates(what: string, path: string, text: string): string[] {
  const certs = text.match(PEM_CERT) ?? []
  if (!certs.length) throw new TlsConfigError(`${what}=${path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`)
  for (const pem of certs) {
    try { new X509Certificate(pem) } catch (err) { throw new TlsConfigError(`${what}=${path}: a certificate in it does not parse (${(err as Error).message})`) }
  }
  return certs
}

/**
 * The CA certificates of an OpenSSL CA directory (`c_rehash` layout: `<hash>.0` links next to the files). Every
 * readable file holding PEM certificates counts; duplicates (a link and its target) are kept once.
 */
export function caDirCertificates(what: string, dir: string): string[] {
  let names: string[]
  try { names = readdirSync(dir).sort() } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new TlsConfigError(`${what}=${dir}: cannot list it (${code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (err as Error).message})`)
  }
  const seen = new Set<string>()
  for (const name of names) {
    let text: string
    try { text = readFileSync(join(dir, name), 'utf8') } catch { continue }
    for (const pem of text.match(PEM_CERT) ?? []) seen.add(pem)
  }
  if (!seen.size) throw new TlsConfigError(`${what}=${dir}: no PEM certificate in any file of the directory`)
  return [...seen]
}

function privateKey(what: string, path: string, text: string): KeyObject {
  try {
    return createPrivateKey(text)
  } catch (err) {
    const msg = (err as Error).message
    const hint = /ENCRYPTED/.test(text) ? ' (it is encrypted; meso needs an unencrypted key)' : ''
    throw new TlsConfigError(`${what}=${path}: not a usable PEM private key${hint}: ${msg}`)
  }
}

/**
 * Loads a certificate chain and its key and checks that they belong together; `names` are the variables (or flags)
 * that named the files, for the messages. Returns warnings for an expired or not yet valid certificate and for a
 * key file other users can read (Mesos warns likewise about its JWT key in src/slave/main.cpp).
 */
export function loadKeyPair(names: { cert: string; key: string }, certFile: string, keyFile: string, now = new Date()): { cert: string; key: string; warnings: string[] } {
  const cert = readNamedFile(names.cert, certFile)
  const key = readNamedFile(names.key, keyFile)
  const leafPem = pemCertificates(names.cert, certFile, cert)[0]!
  const leaf = new X509Certificate(leafPem)
  if (!leaf.checkPrivateKey(privateKey(names.key, keyFile, key))) {
    throw new TlsConfigError(`${names.cert}=${certFile} and ${names.key}=${keyFile} do not belong together: the certificate's public key does not match the private key`)
  }
  const warnings: string[] = []
  if (Date.parse(leaf.validTo) < now.getTime()) warnings.push(`${names.cert}=${certFile}: the certificate expired on ${leaf.validTo}; peers will refuse it`)
  if (Date.parse(leaf.validFrom) > now.getTime()) warnings.push(`${names.cert}=${certFile}: the certificate is not valid before ${leaf.validFrom}; peers will refuse it`)
  try {
    if (statSync(keyFile).mode & 0o007) warnings.push(`${names.key}=${keyFile}: other users can read the key file; make it mode 0600 (or 0640 for a group)`)
  } catch { /* read above; a race is not worth a message */ }
  return { cert, key, warnings }
}

/** The certificate and key LIBPROCESS_SSL_CERT_FILE and KEY_FILE name, checked as loadKeyPair does. */
export function loadSettingsKeyPair(settings: TlsSettings, now = new Date()): { cert: string; key: string; warnings: string[] } {
  return loadKeyPair({ cert: `${TLS_ENV_PREFIX}CERT_FILE`, key: `${TLS_ENV_PREFIX}KEY_FILE` }, settings.certFile, settings.keyFile, now)
}

/** The CAs of LIBPROCESS_SSL_CA_FILE and CA_DIR together (OpenSSL's SSL_CTX_load_verify_locations takes both). */
export function loadSettingsCas(settings: Pick<TlsSettings, 'caFile' | 'caDir'>): string[] {
  const file = settings.caFile
  return [
    ...(file ? pemCertificates(`${TLS_ENV_PREFIX}CA_FILE`, file, readNamedFile(`${TLS_ENV_PREFIX}CA_FILE`, file)) : []),
    ...(settings.caDir ? caDirCertificates(`${TLS_ENV_PREFIX}CA_DIR`, settings.caDir) : []),
  ]
}

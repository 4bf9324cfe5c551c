// The LIBPROCESS_SSL_* environment variables as Mesos reads them (3rdparty/libprocess/src/openssl.cpp, `Flags` and
// `reinitialize`; docs/ssl.md upstream), parsed into what meso's listeners and links need. Pure: the caller hands in
// the environment; reading the files is material.ts's job. What meso honours and what it ignores is in
// docs/security-tls.md.

export const TLS_ENV_PREFIX = 'LIBPROCESS_SSL_'

export interface TlsSettings {
  certFile: string
  keyFile: string
  caFile?: string
  caDir?: string
  /** Client mode: verify the server's certificate (LIBPROCESS_SSL_VERIFY_SERVER_CERT, legacy VERIFY_CERT). */
  verifyServerCert: boolean
  /** Server mode: refuse clients without a valid certificate (LIBPROCESS_SSL_REQUIRE_CLIENT_CERT, legacy REQUIRE_CERT). */
  requireClientCert: boolean
  /** OpenSSL cipher list (LIBPROCESS_SSL_CIPHERS); absent: the TLS library's defaults. */
  ciphers?: string
}

export interface ParsedTlsSettings {
  /** Absent when LIBPROCESS_SSL_ENABLED is not true: plain HTTP everywhere. */
  settings?: TlsSettings
  /** Settings meso accepts but cannot honour, one line each, for the daemon's log. */
  warnings: string[]
}

export class TlsConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>

/**
 * stout's boolean flag values (3rdparty/stout/include/stout/flags/parse.hpp): `true`/`1`, `false`/`0`. An empty
 * value counts as unset, so `LIBPROCESS_SSL_ENABLED=` in a shell switches nothing on.
 */
function bool(env: Env, name: string): boolean | undefined {
  const v = env[TLS_ENV_PREFIX + name]
  if (v === undefined || v === '') return undefined
  if (v === 'true' || v === '1') return true
  if (v === 'false' || v === '0') return false
  throw new TlsConfigError(`${TLS_ENV_PREFIX}${name}=${v}: expected true, false, 1 or 0`)
}

function str(env: Env, name: string): string | undefined {
  const v = env[TLS_ENV_PREFIX + name]
  return v === undefined || v === '' ? undefined : v
}

/** Settings Mesos has and meso leaves to its TLS library, with the reason given in the warning. */
const IGNORED: readonly { name: string; why: string; isDefault?: (v: string) => boolean }[] = [
  { name: 'VERIFY_IPADD', why: 'meso always accepts a certificate naming the peer IP in its subjectAltName' },
  { name: 'VERIFICATION_DEPTH', why: 'the TLS library verifies chains of any depth', isDefault: v => v === '4' },
  { name: 'ECDH_CURVES', why: 'the TLS library picks the curve', isDefault: v => v === 'auto' },
  { name: 'ENABLE_SSL_V3', why: 'SSLv3 is never offered', isDefault: v => v === 'false' || v === '0' },
  { name: 'ENABLE_TLS_V1_0', why: 'TLS 1.0 is never offered', isDefault: v => v === 'false' || v === '0' },
  { name: 'ENABLE_TLS_V1_1', why: 'TLS 1.1 is never offered', isDefault: v => v === 'false' || v === '0' },
  { name: 'ENABLE_TLS_V1_2', why: 'TLS 1.2 and 1.3 are both offered', isDefault: v => v === 'true' || v === '1' },
  { name: 'ENABLE_TLS_V1_3', why: 'TLS 1.2 and 1.3 are both offered' },
]

/**
 * Reads the LIBPROCESS_SSL_* variables of `env`. Follows `reinitialize` in openssl.cpp: the legacy names
 * VERIFY_CERT and REQUIRE_CERT set the modern ones, a required client certificate implies verifying servers, and
 * TLS without a certificate and a key is a startup error. Differences, each an error rather than a silent change:
 * LIBPROCESS_SSL_SUPPORT_DOWNGRADE (meso never serves plain HTTP on a TLS port) and an unknown
 * HOSTNAME_VALIDATION_SCHEME. The deprecated `SSL_` prefix is not read: SSL_CERT_FILE means something else to
 * OpenSSL-based tools (MESOS-5863, cited in docs/ssl.md upstream).
 */
export function parseTlsSettings(env: Env): ParsedTlsSettings {
  if (!bool(env, 'ENABLED')) return { warnings: [] }
  if (bool(env, 'SUPPORT_DOWNGRADE')) {
    throw new TlsConfigError(`${TLS_ENV_PREFIX}SUPPORT_DOWNGRADE=true is not supported: with ${TLS_ENV_PREFIX}ENABLED meso accepts TLS connections only (docs/security-tls.md)`)
  }
  const keyFile = str(env, 'KEY_FILE')
  if (!keyFile) throw new TlsConfigError(`TLS is enabled (${TLS_ENV_PREFIX}ENABLED) but no key is given: set ${TLS_ENV_PREFIX}KEY_FILE`)
  const certFile = str(env, 'CERT_FILE')
  if (!certFile) throw new TlsConfigError(`TLS is enabled (${TLS_ENV_PREFIX}ENABLED) but no certificate is given: set ${TLS_ENV_PREFIX}CERT_FILE`)
  const scheme = str(env, 'HOSTNAME_VALIDATION_SCHEME')
  if (scheme !== undefined && scheme !== 'legacy' && scheme !== 'openssl') {
    throw new TlsConfigError(`${TLS_ENV_PREFIX}HOSTNAME_VALIDATION_SCHEME=${scheme}: expected 'legacy' or 'openssl'`)
  }
  const requireClientCert = (bool(env, 'REQUIRE_CLIENT_CERT') ?? false) || (bool(env, 'REQUIRE_CERT') ?? false)
  const verifyServerCert = requireClientCert || (bool(env, 'VERIFY_SERVER_CERT') ?? false) || (bool(env, 'VERIFY_CERT') ?? false)
  const warnings: string[] = []
  if (scheme === 'legacy' && verifyServerCert) {
    warnings.push(`${TLS_ENV_PREFIX}HOSTNAME_VALIDATION_SCHEME=legacy: meso checks the name it connected to against the certificate (the 'openssl' scheme), never a reverse DNS lookup`)
  }
  for (const s of IGNORED) {
    const v = str(env, s.name)
    if (v !== undefined && !s.isDefault?.(v)) warnings.push(`${TLS_ENV_PREFIX}${s.name}=${v} is ignored: ${s.why}`)
  }
  const settings: TlsSettings = { certFile, keyFile, verifyServerCert, requireClientCert }
  const caFile = str(env, 'CA_FILE')
  const caDir = str(env, 'CA_DIR')
  const ciphers = str(env, 'CIPHERS')
  if (caFile) settings.caFile = caFile
  if (caDir) settings.caDir = caDir
  if (ciphers) settings.ciphers = ciphers
  return { settings, warnings }
}

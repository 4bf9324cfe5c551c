// The CLI's TLS: which CA it trusts (--ca-cert, else MESO_CA_CERT, else LIBPROCESS_SSL_CA_FILE/CA_DIR when
// LIBPROCESS_SSL_ENABLED is set in its environment, else the bundled roots), the client certificate it offers to a
// master that requires one (LIBPROCESS_SSL_CERT_FILE/KEY_FILE, as a libprocess client would), and the scheme it uses
// for agents (the master URL's: TLS is cluster-wide). The CLI always verifies the server's certificate, whatever
// LIBPROCESS_SSL_VERIFY_SERVER_CERT says. docs/security-tls.md.

import type { TLSOptions } from 'bun'
import { TLS_ENV_PREFIX, TlsConfigError, parseTlsSettings } from '../core/tls/settings.ts'
import { loadSettingsCas, loadSettingsKeyPair, pemCertificates, readNamedFile } from '../core/tls/material.ts'
import { EXIT } from './exit-codes.ts'

/** The per-process state: the CLI runs one command per process, and the flag applies to every request it makes. */
let caCertFlag: string | undefined
let clusterScheme: 'http' | 'https' | undefined
let loaded: { tls: TLSOptions } | undefined

class TlsUsageError extends Error {
  readonly exitCode = EXIT.USAGE
}

/** Takes the command's `--ca-cert` (the fast path and oclif both call this before the handler runs). */
export function configureClientTls(flags: unknown): void {
  const v = typeof flags === 'object' && flags !== null && 'ca-cert' in flags ? flags['ca-cert'] : undefined
  caCertFlag = typeof v === 'string' && v ? v : undefined
  loaded = undefined
}

function caCert(): { what: string; path: string } | undefined {
  if (caCertFlag) return { what: '--ca-cert', path: caCertFlag }
  const env = process.env.MESO_CA_CERT
  return env ? { what: 'MESO_CA_CERT', path: env } : undefined
}

/** The scheme for a master address given without one: https once the CLI has a CA or TLS settings, else http. */
export function defaultMasterScheme(): 'http' | 'https' {
  return caCert() || tlsEnvEnabled() ? 'https' : 'http'
}

function tlsEnvEnabled(): boolean {
  const v = process.env[`${TLS_ENV_PREFIX}ENABLED`]
  return v === 'true' || v === '1'
}

/** Records the master URL the command uses; agents are then reached with its scheme (agentOrigin). Returns `url`. */
export function useMasterUrl(url: string): string {
  clusterScheme = url.startsWith('https://') ? 'https' : 'http'
  return url
}

/** `http(s)://host:port` for an agent's address (`ip:port` from its pid), in the master URL's scheme. */
export function agentOrigin(hostPort: string): string {
  return `${clusterScheme ?? 'http'}://${hostPort}`
}

/** Bun's fetch `tls` for an https URL (nothing for http). Errors (missing CA file, …) are usage errors, exit 2. */
export function fetchTls(url: string): { tls?: TLSOptions } {
  if (!url.startsWith('https://')) return {}
  loaded ??= { tls: buildTls() }
  return loaded
}

function buildTls(): TLSOptions {
  try {
    const out: TLSOptions = { rejectUnauthorized: true }
    const { settings } = parseTlsSettings(process.env)
    const ca = caCert()
    if (ca) out.ca = pemCertificates(ca.what, ca.path, readNamedFile(ca.what, ca.path))
    else if (settings?.caFile || settings?.caDir) out.ca = loadSettingsCas(settings)
    if (settings) {
      const pair = loadSettingsKeyPair(settings)
      out.cert = pair.cert
      out.key = pair.key
    }
    return out
  } catch (err) {
    if (err instanceof TlsConfigError) throw new TlsUsageError(err.message)
    throw err
  }
}

/** Bun's codes for a server certificate the CLI does not trust, and for a handshake the server broke off. */
const UNTRUSTED = /SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|CERT_(HAS_EXPIRED|NOT_YET_VALID|UNTRUSTED|REJECTED|SIGNATURE_FAILURE)|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH/
// A server that refuses a client certificate from another CA just closes the connection (ECONNRESET).
const HANDSHAKE = /EPROTO|CERTIFICATE_REQUIRED|HANDSHAKE|ECONNRESET/i

/**
 * What to do about a request that failed for a TLS reason, or undefined for any other failure: an untrusted
 * certificate wants --ca-cert, a refused handshake a client certificate, a reset plain-HTTP connection https://.
 */
export function tlsHint(url: string, err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown }
  const text = `${typeof e?.code === 'string' ? e.code : ''} ${typeof e?.message === 'string' ? e.message : ''}`
  if (url.startsWith('https://')) {
    const ca = caCert()
    if (UNTRUSTED.test(text)) return `the server's certificate is not trusted: pass the cluster's CA with --ca-cert FILE or MESO_CA_CERT (${ca ? `${ca.path} did not verify it` : 'none given'})`
    if (HANDSHAKE.test(text)) return `the TLS handshake failed: if the cluster requires client certificates (LIBPROCESS_SSL_REQUIRE_CLIENT_CERT), set LIBPROCESS_SSL_ENABLED=true with LIBPROCESS_SSL_CERT_FILE and LIBPROCESS_SSL_KEY_FILE naming one its CA issued`
    return undefined
  }
  if (/ECONNRESET|closed unexpectedly/.test(text)) return 'if the cluster serves TLS, use an https:// master URL (or pass --ca-cert)'
  return undefined
}

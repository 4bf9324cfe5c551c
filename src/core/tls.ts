// TLS for the daemons, configured as Mesos is: LIBPROCESS_SSL_* environment variables (tls/settings.ts), PEM files
// checked at startup (tls/material.ts). Gives the `tls` options for Bun.serve (every listener: master, agent with its
// executor API), for fetch and for the agent's WebSocket to the master, and the URL scheme to advertise.
// With TLS on there is no plain-HTTP fallback (Mesos without LIBPROCESS_SSL_SUPPORT_DOWNGRADE). docs/security-tls.md.

import type { TLSOptions } from 'bun'
import { logger } from './log.ts'
import { loadSettingsCas, loadSettingsKeyPair } from './tls/material.ts'
import { parseTlsSettings, TLS_ENV_PREFIX, TlsConfigError, type TlsSettings } from './tls/settings.ts'

export { TlsConfigError, type TlsSettings }

const log = logger('tls')

export interface DaemonTls {
  settings: TlsSettings
  cert: string
  key: string
  /** From LIBPROCESS_SSL_CA_FILE and/or CA_DIR; absent: the TLS library's bundled roots, as OpenSSL's defaults upstream. */
  ca?: string[]
  warnings: string[]
}

type Env = Readonly<Record<string, string | undefined>>

/** Parses `env` and loads the files it names; undefined when TLS is off. Throws TlsConfigError naming the problem. */
export function loadTls(env: Env, now = new Date()): DaemonTls | undefined {
  const { settings, warnings } = parseTlsSettings(env)
  if (!settings) return undefined
  const pair = loadSettingsKeyPair(settings, now)
  const ca = loadSettingsCas(settings)
  const tls: DaemonTls = { settings, cert: pair.cert, key: pair.key, warnings: [...warnings, ...pair.warnings] }
  if (ca.length) tls.ca = ca
  return tls
}

let cached: { fingerprint: string; tls: DaemonTls | undefined } | undefined

/**
 * This process's TLS, from process.env, loaded once per distinct set of LIBPROCESS_SSL_* values (`meso up --tls`
 * sets them before its daemons start); its warnings are logged once.
 */
export function daemonTls(): DaemonTls | undefined {
  const fingerprint = JSON.stringify(Object.entries(process.env).filter(([k]) => k.startsWith(TLS_ENV_PREFIX)).sort())
  if (cached?.fingerprint === fingerprint) return cached.tls
  const tls = loadTls(process.env)
  cached = { fingerprint, tls }
  for (const w of tls?.warnings ?? []) log.warn(w)
  if (tls) {
    const s = tls.settings
    log.info(`TLS on (certificate ${s.certFile}); ${s.requireClientCert ? 'clients must present a certificate' : 'client certificates not required'}; ${s.verifyServerCert ? 'server certificates verified' : 'server certificates NOT verified (set LIBPROCESS_SSL_VERIFY_SERVER_CERT=true)'}`)
  }
  return tls
}

/** What both directions share: one certificate and key (one SSL context upstream), the CAs, the ciphers. */
function sharedOptions(tls: DaemonTls): TLSOptions {
  return { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.settings.ciphers ? { ciphers: tls.settings.ciphers } : {}) }
}

/** `tls` for Bun.serve: TLS only; with REQUIRE_CLIENT_CERT a client without a certificate from the CAs is refused. */
export function serverTls(tls: DaemonTls | undefined = daemonTls()): TLSOptions | undefined {
  if (!tls) return undefined
  return { ...sharedOptions(tls), requestCert: tls.settings.requireClientCert, rejectUnauthorized: tls.settings.requireClientCert }
}

/**
 * `tls` for fetch and `new WebSocket(url, { tls })` from a daemon: its certificate is offered as the client
 * certificate (one SSL context serves both directions upstream), and the server is verified only with
 * VERIFY_SERVER_CERT (or REQUIRE_CLIENT_CERT), as libprocess does.
 */
export function clientTls(tls: DaemonTls | undefined = daemonTls()): TLSOptions | undefined {
  if (!tls) return undefined
  return { ...sharedOptions(tls), rejectUnauthorized: tls.settings.verifyServerCert }
}

/** The scheme of the URLs a daemon advertises and connects to. */
export function httpScheme(tls: DaemonTls | undefined = daemonTls()): 'http' | 'https' {
  return tls ? 'https' : 'http'
}

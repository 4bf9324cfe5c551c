// Which certificates https URIs are verified against: the TLS library's roots (Bun's bundled Mozilla store) and the
// system bundle, plus the CAs the agent was configured with (LIBPROCESS_SSL_CA_FILE / CA_DIR, core/tls.ts), so a URI
// served by the cluster's own CA verifies too. Verification is never turned off, whatever
// LIBPROCESS_SSL_VERIFY_SERVER_CERT says: that setting is about the daemons' own links, and the agent's client
// certificate is not offered to arbitrary servers.

import type { TLSOptions } from 'bun'
import { existsSync, readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'
import { daemonTls } from '../../core/tls.ts'

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt']

/** `tls` for the fetcher's requests; undefined (the library's default roots) when the agent has no CAs of its own. */
export function fetcherTls(agentCas: string[] | undefined = daemonTls()?.ca): TLSOptions | undefined {
  if (!agentCas?.length) return undefined
  const system = SYSTEM_BUNDLES.filter(existsSync).map(p => readFileSync(p, 'utf8'))
  return { ca: [...rootCertificates, ...system, ...agentCas] }
}

// `meso up --tls`: a dev CA and certificates in <work dir>/tls (core/tls/dev-ca.ts), handed to the master and agent
// this process starts the way an operator would, through LIBPROCESS_SSL_* in the environment, which executors then
// inherit as Mesos executors do. docs/security-tls.md.

import { hostname, networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { devTlsEnv, ensureDevCerts, type DevCertNames } from '../core/tls/dev-ca.ts'

/** The names the dev server certificate carries: loopback, this host's name, and the listen address (all of them for 0.0.0.0). */
export function devCertNames(ip: string, host = hostname(), interfaces: Readonly<Record<string, readonly { address: string; internal: boolean }[] | undefined>> = networkInterfaces()): DevCertNames {
  const ips = new Set(['127.0.0.1', '::1'])
  if (ip === '0.0.0.0' || ip === '::') {
    for (const list of Object.values(interfaces)) for (const a of list ?? []) if (!a.internal) ips.add(a.address.replace(/%.*$/, ''))
  } else ips.add(ip)
  return { dns: [...new Set(['localhost', host])], ips: [...ips] }
}

/** Makes or reuses the certificates, sets LIBPROCESS_SSL_* in process.env, and returns the lines to print. */
export function enableDevTls(base: string, ip: string): string[] {
  const { files, issued } = ensureDevCerts(join(base, 'tls'), devCertNames(ip))
  Object.assign(process.env, devTlsEnv(files))
  const lines = [`TLS on: ${issued.length ? 'generated' : 'reusing'} the dev CA and certificates in ${files.dir}; for the CLI: export MESO_CA_CERT=${files.caFile}`]
  const require = process.env.LIBPROCESS_SSL_REQUIRE_CLIENT_CERT ?? process.env.LIBPROCESS_SSL_REQUIRE_CERT
  if (require === 'true' || require === '1') {
    lines.push(`client certificates are required: export LIBPROCESS_SSL_ENABLED=true LIBPROCESS_SSL_CERT_FILE=${files.clientCertFile} LIBPROCESS_SSL_KEY_FILE=${files.clientKeyFile}`)
  }
  return lines
}

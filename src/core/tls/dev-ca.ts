// A throwaway CA and certificates for a development cluster (`meso up --tls`, docs/security-tls.md): one server
// certificate for the master and the agent (they share the work dir and the machine; it carries clientAuth too, for
// the agent's link under mutual TLS, as libprocess uses one certificate both ways) and one client certificate for the
// CLI. Keys come from node:crypto and are written 0600; certificates are issued with the openssl CLI (Bun cannot issue
// X.509). What is still valid, issued by this CA and names every host is reused, so a restart keeps the CA users trust.

import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface DevCertFiles {
  dir: string
  caFile: string
  caKeyFile: string
  certFile: string
  keyFile: string
  clientCertFile: string
  clientKeyFile: string
}

/** The names the server certificate must carry: every address the master and agent are reached at. */
export interface DevCertNames {
  dns: string[]
  ips: string[]
}

export function devCertFiles(dir: string): DevCertFiles {
  return {
    dir,
    caFile: join(dir, 'ca.pem'), caKeyFile: join(dir, 'ca.key'),
    certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.pem'), clientKeyFile: join(dir, 'client.key'),
  }
}

const DAY_MS = 86_400_000
/** Reissue what expires within this, so a cluster started today does not break next week. */
const RENEW_BEFORE_MS = 30 * DAY_MS

function openssl(args: string[], stdin?: string): string {
  let r
  try {
    r = Bun.spawnSync(['openssl', ...args], { stdin: stdin === undefined ? 'ignore' : new TextEncoder().encode(stdin), stdout: 'pipe', stderr: 'pipe' })
  } catch (err) {
    throw new Error(`generating the dev TLS certificates needs the openssl command (Debian: apt-get install openssl): ${(err as Error).message}`)
  }
  if (r.exitCode !== 0) throw new Error(`openssl ${args[0]} failed (exit ${r.exitCode}): ${r.stderr.toString().trim()}`)
  return r.stdout.toString()
}

function writeKey(path: string): void {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 })
  chmodSync(path, 0o600) // writeFileSync's mode applies only to a new file
}

/** The certificate at `certFile` when it parses, matches its key, and is valid for RENEW_BEFORE_MS more. */
function usable(certFile: string, keyFile: string, now: Date): X509Certificate | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined
  try {
    const cert = new X509Certificate(readFileSync(certFile, 'utf8'))
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile, 'utf8')))) return undefined
    if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_MS || Date.parse(cert.validFrom) > now.getTime()) return undefined
    return cert
  } catch { return undefined }
}

function issue(files: DevCertFiles, certFile: string, keyFile: string, cn: string, extensions: string[]): void {
  writeKey(keyFile)
  const csr = openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${cn}`])
  const extFile = join(files.dir, `.ext-${process.pid}.cnf`)
  writeFileSync(extFile, extensions.join('\n') + '\n', { mode: 0o600 })
  try {
    const serial = `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`
    openssl(['x509', '-req', '-CA', files.caFile, '-CAkey', files.caKeyFile, '-set_serial', serial, '-days', '825', '-sha256', '-extfile', extFile, '-out', certFile], csr)
  } finally {
    rmSync(extFile, { force: true })
  }
}

/**
 * Makes (or keeps) the dev CA, a server certificate naming `names`, and a client certificate, in `dir` (created
 * 0700). Returns the files and which of them were written now.
 */
export function ensureDevCerts(dir: string, names: DevCertNames, now = new Date()): { files: DevCertFiles; issued: string[] } {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const files = devCertFiles(dir)
  const issued: string[] = []
  let ca = usable(files.caFile, files.caKeyFile, now)
  if (!ca) {
    writeKey(files.caKeyFile)
    openssl(['req', '-x509', '-new', '-key', files.caKeyFile, '-sha256', '-days', '3650', '-subj', '/CN=meso dev CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', files.caFile])
    ca = new X509Certificate(readFileSync(files.caFile, 'utf8'))
    issued.push(files.caFile)
  }
  const fromCa = (cert: X509Certificate | undefined) => cert && cert.checkIssued(ca) && cert.verify(ca.publicKey) ? cert : undefined
  const server = fromCa(usable(files.certFile, files.keyFile, now))
  if (!server || !names.dns.every(n => server.checkHost(n)) || !names.ips.every(ip => server.checkIP(ip))) {
    const san = [...names.dns.map(n => `DNS:${n}`), ...names.ips.map(ip => `IP:${ip}`)].join(',')
    issue(files, files.certFile, files.keyFile, names.dns[0] ?? 'meso', [
      'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth,clientAuth', `subjectAltName=${san}`,
    ])
    issued.push(files.certFile)
  }
  if (!fromCa(usable(files.clientCertFile, files.clientKeyFile, now))) {
    issue(files, files.clientCertFile, files.clientKeyFile, 'meso-cli', [
      'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth',
    ])
    issued.push(files.clientCertFile)
  }
  return { files, issued }
}

/** The LIBPROCESS_SSL_* environment that makes the daemons use the dev certificates, verifying their peers. */
export function devTlsEnv(files: DevCertFiles): Record<string, string> {
  return {
    LIBPROCESS_SSL_ENABLED: 'true',
    LIBPROCESS_SSL_CERT_FILE: files.certFile,
    LIBPROCESS_SSL_KEY_FILE: files.keyFile,
    LIBPROCESS_SSL_CA_FILE: files.caFile,
    LIBPROCESS_SSL_VERIFY_SERVER_CERT: 'true',
  }
}

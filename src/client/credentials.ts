// The CLI's credentials (docs/security-auth.md), first found wins:
//   1. MESO_TOKEN (sent as `Authorization: Bearer`), or MESO_PRINCIPAL with MESO_SECRET (HTTP Basic);
//   2. ~/.meso/config.toml (or $MESO_CONFIG): `[auth] principal = "…"` with `secret = "…"` or `secret_file = "…"`;
//   3. the credential `meso up` leaves in ~/.meso/clusters/*.toml (next to $MESO_CONFIG when set), which is sent
//      only to the master and agent addresses listed in that file, never to another host.
// 1 and 2 are the operator's own choice and go with every request of the command.

import { readdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { cliConfigPath } from '../core/state-dir.ts'

export interface CliCredential { principal: string; secret: string }

/** The small TOML subset the CLI's files use: [section], key = "string" and key = ["string", …]. */
export function readToml(text: string): Record<string, Record<string, string | string[]>> {
  const out: Record<string, Record<string, string | string[]>> = {}
  let section = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const sec = /^\[([^\]]+)\]$/.exec(line)
    if (sec) { section = sec[1]!.trim(); continue }
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line)
    if (!kv) continue
    let value: unknown
    try { value = JSON.parse(kv[2]!.replace(/\s+#.*$/, '')) } catch { continue }
    if (typeof value === 'string' || (Array.isArray(value) && value.every(v => typeof v === 'string'))) (out[section] ??= {})[kv[1]!] = value as string | string[]
  }
  return out
}

/** Where `meso up` writes the CLI's per-cluster credentials (and the CLI reads them): next to its config file. */
export function clusterCredentialsDir(): string {
  return join(dirname(cliConfigPath()), 'clusters')
}

function readOr(path: string): string | undefined {
  try { return readFileSync(path, 'utf8') } catch { return undefined }
}

/** `[auth]` of the CLI's config file, if it names a principal. */
function configCredential(): CliCredential | undefined {
  const text = readOr(cliConfigPath())
  if (!text) return undefined
  const auth = readToml(text).auth
  const principal = auth?.principal
  if (typeof principal !== 'string' || !principal) return undefined
  const file = auth?.secret_file
  const secret = typeof file === 'string' ? readOr(file.replace(/^~(?=\/)/, homedir()))?.trim() : auth?.secret
  return { principal, secret: typeof secret === 'string' ? secret : '' }
}

interface ClusterEntry { addresses: Set<string>; credential: CliCredential }

let clusters: ClusterEntry[] | undefined

/** The credentials `meso up` registered, read once per command. */
function clusterEntries(): ClusterEntry[] {
  if (clusters) return clusters
  clusters = []
  const dir = clusterCredentialsDir()
  let names: string[] = []
  try { names = readdirSync(dir).filter(n => n.endsWith('.toml')) } catch { return clusters }
  for (const name of names) {
    const t = readOr(join(dir, name))
    if (!t) continue
    const doc = readToml(t)
    const principal = doc.auth?.principal
    const secret = doc.auth?.secret
    if (typeof principal !== 'string' || typeof secret !== 'string') continue
    const addresses = new Set<string>()
    for (const section of ['master', 'agent']) {
      const list = doc[section]?.addresses
      for (const a of Array.isArray(list) ? list : []) addresses.add(a.toLowerCase())
    }
    clusters.push({ addresses, credential: { principal, secret } })
  }
  return clusters
}

/** The `Authorization` header value for a request to `url`, if the CLI has a credential for it. */
export function authorizationFor(url: string): string | undefined {
  if (process.env.MESO_TOKEN) return `Bearer ${process.env.MESO_TOKEN}`
  const basic = (c: CliCredential) => 'Basic ' + Buffer.from(`${c.principal}:${c.secret}`).toString('base64')
  if (process.env.MESO_PRINCIPAL) return basic({ principal: process.env.MESO_PRINCIPAL, secret: process.env.MESO_SECRET ?? '' })
  const configured = configCredential()
  if (configured) return basic(configured)
  let host: string
  try {
    const u = new URL(url)
    host = `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`.toLowerCase()
  } catch { return undefined }
  const entry = clusterEntries().find(e => e.addresses.has(host))
  return entry ? basic(entry.credential) : undefined
}

/** What a 401 from the cluster should tell the user. */
export const CREDENTIALS_HINT = `this cluster needs credentials: set MESO_PRINCIPAL and MESO_SECRET, or [auth] principal/secret in ${'~/.meso/config.toml'} (docs/security-auth.md)`

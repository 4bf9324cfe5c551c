// How the CLI reaches a cluster: --master, else MESO_MASTER, else ~/.meso/config.toml ([master] address = "…"),
// else 127.0.0.1:5050; without a scheme that is http://, or https:// once a CA is given (client/tls.ts,
// docs/security-tls.md). Errors carry the exit code the CLI should use (docs/cli.md).

import { readFileSync } from 'node:fs'
import { authorizationFor, CREDENTIALS_HINT } from './credentials.ts'
import { EXIT } from './exit-codes.ts'
import { defaultMasterScheme, fetchTls, tlsHint, useMasterUrl } from './tls.ts'
import { cliConfigPath } from '../core/state-dir.ts'
import { isZooKeeperUrl } from '../core/master-address.ts'

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.FAILED) { super(message) }
}

/** The master as given: --master, else MESO_MASTER, else the config file, else 127.0.0.1:5050. */
export function masterAddress(flag?: string): string {
  return flag || process.env.MESO_MASTER || configAddress() || '127.0.0.1:5050'
}

export function masterUrl(flag?: string): string {
  let addr = masterAddress(flag)
  // client/master-detection.ts replaces a zk:// address by the leader's before a handler runs.
  if (isZooKeeperUrl(addr)) throw new CliError(`${addr.split('@').pop()}: the leading master was not detected`, EXIT.USAGE)
  if (!/^https?:\/\//.test(addr)) addr = `${defaultMasterScheme()}://${addr}`
  return useMasterUrl(addr.replace(/\/+$/, ''))
}

function configAddress(): string | undefined {
  try {
    const text = readFileSync(cliConfigPath(), 'utf8')
    let section = ''
    for (const line of text.split('\n')) {
      const s = line.trim()
      const sec = /^\[(.+)\]$/.exec(s)
      if (sec) { section = sec[1]!; continue }
      const kv = /^address\s*=\s*"([^"]+)"/.exec(s)
      if (kv && section === 'master') return kv[1]
    }
  } catch { /* no config */ }
  return undefined
}

/** The CLI's credential for `url`, if it has one (client/credentials.ts, docs/security-auth.md). */
function authHeaders(url: string): Record<string, string> {
  const authorization = authorizationFor(url)
  return authorization ? { Authorization: authorization } : {}
}

/** fetch with the CLI's error conventions: unreachable → exit 125 with a readable message. */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  const tls = fetchTls(url)
  let res: Response
  try {
    res = await fetch(url, { ...init, ...tls, headers: { ...authHeaders(url), ...(init.headers as Record<string, string> | undefined) } })
  } catch (err) {
    const origin = new URL(url).origin
    throw new CliError(`cannot reach ${origin} (${(err as Error).message}); ${tlsHint(url, err) ?? "is the cluster running? start one with 'meso up' or pass --master"}`, EXIT.LAUNCH_FAILED)
  }
  return res
}

export async function errorText(res: Response): Promise<string> {
  const body = (await res.text().catch(() => '')).trim()
  return `${res.status} ${res.statusText}${body ? `: ${body.split('\n')[0]}` : ''}${res.status === 401 ? `; ${CREDENTIALS_HINT}` : ''}`
}

/** One operator API call (JSON); returns the typed sub-response. */
export async function operatorCall<T = any>(base: string, type: string, body: Record<string, unknown> = {}): Promise<T> {
  const res = await request(`${base}/api/v1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ type, ...body }),
  })
  if (!res.ok) throw new CliError(`${type} failed: ${await errorText(res)}`)
  if (res.status === 202 || res.headers.get('content-length') === '0') return {} as T
  const text = await res.text()
  if (!text) return {} as T
  const json = JSON.parse(text)
  return (json[type.toLowerCase()] ?? {}) as T
}

export async function getJson<T = any>(url: string): Promise<T> {
  const res = await request(url, { headers: { Accept: 'application/json' } })
  if (!res.ok) throw new CliError(`GET ${new URL(url).pathname} failed: ${await errorText(res)}`)
  return res.json() as Promise<T>
}

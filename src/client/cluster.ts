// How the CLI reaches a cluster: --master, else MESO_MASTER, else ~/.meso/config.toml ([master] address = "…"),
// else http://127.0.0.1:5050. Errors carry the exit code the CLI should use (docs/cli.md).

import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { EXIT } from './exit-codes.ts'

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.FAILED) { super(message) }
}

export function masterUrl(flag?: string): string {
  let addr = flag || process.env.MESO_MASTER || configAddress() || 'http://127.0.0.1:5050'
  if (!/^https?:\/\//.test(addr)) addr = `http://${addr}`
  return addr.replace(/\/+$/, '')
}

function configAddress(): string | undefined {
  try {
    const text = readFileSync(process.env.MESO_CONFIG ?? join(homedir(), '.meso', 'config.toml'), 'utf8')
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

function authHeaders(): Record<string, string> {
  const h: Record<string, string> = {}
  if (process.env.MESO_TOKEN) h.Authorization = `Bearer ${process.env.MESO_TOKEN}`
  else if (process.env.MESO_PRINCIPAL) h.Authorization = 'Basic ' + Buffer.from(`${process.env.MESO_PRINCIPAL}:${process.env.MESO_SECRET ?? ''}`).toString('base64')
  return h
}

/** fetch with the CLI's error conventions: unreachable → exit 125 with a readable message. */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  let res: Response
  try {
    res = await fetch(url, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) } })
  } catch (err) {
    const origin = new URL(url).origin
    throw new CliError(`cannot reach ${origin} (${(err as Error).message}); is the cluster running? start one with 'meso up' or pass --master`, EXIT.LAUNCH_FAILED)
  }
  return res
}

export async function errorText(res: Response): Promise<string> {
  const body = (await res.text().catch(() => '')).trim()
  return `${res.status} ${res.statusText}${body ? `: ${body.split('\n')[0]}` : ''}`
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

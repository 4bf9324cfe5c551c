// `zk://[user:password@]host1:2181,host2:2181/path` URLs, as Mesos parses them (upstream
// include/mesos/zookeeper/url.hpp): everything from the first '/' after the scheme is the group path, the last
// '@' before it ends the credentials (digest scheme), the rest is the comma-separated server list. Pure, but for reading a file:// flag.

import { readFileSync } from 'node:fs'
import { InvalidPathError, validatePath } from './paths.ts'

export const DEFAULT_PORT = 2181

export interface ServerAddress {
  host: string
  port: number
}

export interface ZooKeeperAuth {
  /** Mesos only ever uses 'digest' (upstream src/zookeeper/authentication.cpp). */
  scheme: 'digest'
  /** `user:password`. */
  credentials: string
}

export interface ZooKeeperUrl {
  servers: ServerAddress[]
  /** The group znode, e.g. '/mesos'; '/' when the URL has none. Never ends with '/' (except the root). */
  path: string
  auth?: ZooKeeperAuth
}

export class ZooKeeperUrlError extends Error {
  constructor(url: string, reason: string) {
    super(`invalid ZooKeeper URL '${redactUrl(url)}': ${reason}`)
    this.name = 'ZooKeeperUrlError'
  }
}

/** Hides the password of a zk:// URL (or of anything with `user:pass@`) so it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/^(zk:\/\/[^:/@]*:)[^/]*@/, '$1***@')
}

export function formatServer(s: ServerAddress): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`
}

/** `h1:2181,h2,[::1]:2182` → addresses; a missing port is 2181. */
export function parseServers(list: string, url = list): ServerAddress[] {
  const out: ServerAddress[] = []
  for (const raw of list.split(',')) {
    const s = raw.trim()
    if (s === '') throw new ZooKeeperUrlError(url, 'empty server in the list')
    const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s) ?? /^([^:[\]\s]+)(?::(\d+))?$/.exec(s)
    if (!m) throw new ZooKeeperUrlError(url, `bad server '${s}' (expected host:port)`)
    const port = m[2] === undefined ? DEFAULT_PORT : Number(m[2])
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ZooKeeperUrlError(url, `bad port in '${s}'`)
    out.push({ host: m[1]!, port })
  }
  return out
}

export function parseZooKeeperUrl(input: string): ZooKeeperUrl {
  const url = input.trim()
  if (!url.startsWith('zk://')) throw new ZooKeeperUrlError(url, "expecting 'zk://' at the beginning")
  let rest = url.slice('zk://'.length)
  const slash = rest.indexOf('/')
  let path = slash < 0 ? '/' : rest.slice(slash)
  if (slash >= 0) rest = rest.slice(0, slash)
  // Mesos' Group strips one trailing '/' (strings::remove(znode, "/", SUFFIX)); so do we, for 'zk://h/mesos/'.
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  try {
    validatePath(path)
  } catch (e) {
    throw new ZooKeeperUrlError(url, e instanceof InvalidPathError ? e.message : String(e))
  }
  const at = rest.lastIndexOf('@')
  const credentials = at < 0 ? undefined : rest.slice(0, at)
  const servers = parseServers(at < 0 ? rest : rest.slice(at + 1), url)
  if (credentials !== undefined && !/^[^:]+:.*$/.test(credentials)) throw new ZooKeeperUrlError(url, "credentials must be 'user:password'")
  return credentials === undefined ? { servers, path } : { servers, path, auth: { scheme: 'digest', credentials } }
}

/** The URL back as text; the password is hidden unless `withSecret`. */
export function formatZooKeeperUrl(u: ZooKeeperUrl, withSecret = false): string {
  const auth = u.auth ? `${withSecret ? u.auth.credentials : u.auth.credentials.replace(/:.*$/, ':***')}@` : ''
  return `zk://${auth}${u.servers.map(formatServer).join(',')}${u.path}`
}

/** A flag naming ZooKeeper (`--zk`, `--master`): a zk:// URL, or, as in Mesos, file:///path of a file holding one. */
export function readZooKeeperUrl(value: string): ZooKeeperUrl {
  const v = value.trim()
  return parseZooKeeperUrl(v.startsWith('file://') ? readFileSync(v.slice('file://'.length), 'utf8').trim() : v)
}

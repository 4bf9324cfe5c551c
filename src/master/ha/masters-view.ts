// meso extension: GET /api/meso/v1/masters, the masters of this cluster and which one leads. Mesos has no such
// endpoint (its UI showed only the leader, from /master/state); meso's UI shows the whole group. With --zk the
// masters are the `json.info_<sequence>` members of the ZooKeeper group they contend in (detector.ts), the leader the
// lowest sequence; without it, this master alone. The group is read when asked (a few getData calls on a session
// kept open for it), never cached: a membership view that could be stale would mislead more than a slow answer.

import { logger } from '../../core/log.ts'
import type { MasterInfo } from '../../core/v1/messages.ts'
import { ZooKeeperClient } from '../../core/zookeeper/client.ts'
import { isZooKeeperError } from '../../core/zookeeper/errors.ts'
import { members } from '../../core/zookeeper/group.ts'
import { joinPath } from '../../core/zookeeper/paths.ts'
import { readZooKeeperUrl, type ZooKeeperUrl } from '../../core/zookeeper/url.ts'
import { MASTER_INFO_JSON_LABEL, parseMasterInfo } from './detector.ts'

export interface MasterEntry {
  id: string
  /** `ip:port` as the master advertises it (its MasterInfo.address, else ip and port). */
  address: string
  hostname?: string
  version?: string
  leading: boolean
  /** The member's ZooKeeper sequence number (absent without --zk). */
  sequence?: number
}

export interface MastersView {
  leader?: MasterInfo
  masters: MasterEntry[]
  /** Where the membership comes from: 'zookeeper' or 'standalone' (no --zk). */
  source: 'zookeeper' | 'standalone'
  /** Members whose znode could not be read or parsed, with why (the others are still listed). */
  errors?: string[]
}

/** A MasterInfo's ip as a dotted quad: MasterInfo.ip is a uint32 in network byte order, as Mesos writes it. */
function ipOf(info: MasterInfo): string {
  const a = info.address
  if (a?.ip) return a.ip
  const n = info.ip >>> 0
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.')
}

export function entryOf(info: MasterInfo, leading: boolean, sequence?: number): MasterEntry {
  return {
    id: info.id,
    address: `${ipOf(info)}:${info.address?.port ?? info.port}`,
    ...(info.hostname ? { hostname: info.hostname } : {}),
    ...(info.version ? { version: info.version } : {}),
    leading,
    ...(sequence !== undefined ? { sequence } : {}),
  }
}

/** A master without --zk: itself, leading. */
export function standaloneView(self: MasterInfo): MastersView {
  return { leader: self, masters: [entryOf(self, true)], source: 'standalone' }
}

/**
 * The view from the group's children and the data of those read (`data` by child name; a child missing from it
 * vanished between the listing and the read). Only `json.info_*` members count; the lowest sequence leads, as the
 * detector decides. Pure.
 */
export function groupView(group: string, children: readonly string[], data: ReadonlyMap<string, string>): MastersView {
  const masters: MasterEntry[] = []
  const errors: string[] = []
  let leader: MasterInfo | undefined
  members(children, MASTER_INFO_JSON_LABEL).forEach((m, i) => {
    const raw = data.get(m.name)
    if (raw === undefined) return
    try {
      const info = parseMasterInfo(raw, joinPath(group, m.name))
      if (i === 0) leader = info
      masters.push(entryOf(info, i === 0, m.sequence))
    } catch (err) {
      errors.push((err as Error).message)
    }
  })
  return { ...(leader ? { leader } : {}), masters, source: 'zookeeper', ...(errors.length ? { errors } : {}) }
}

const log = logger('master')

/** Reads the group on request over one ZooKeeper session, opened on the first request and closed by `close`. */
export class MasterGroupReader {
  private client: ZooKeeperClient | undefined
  private readonly url: ZooKeeperUrl

  constructor(zk: string, private readonly sessionTimeoutMs: number) {
    this.url = readZooKeeperUrl(zk)
  }

  /** The group now; rejects naming the servers when ZooKeeper does not answer within `timeoutMs`. */
  async read(timeoutMs = 5000): Promise<MastersView> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`ZooKeeper at ${this.url.servers.map(s => `${s.host}:${s.port}`).join(',')} did not answer within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      return await Promise.race([this.readGroup(timeoutMs), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private async readGroup(timeoutMs: number): Promise<MastersView> {
    this.client ??= new ZooKeeperClient({
      servers: this.url.servers, sessionTimeoutMs: this.sessionTimeoutMs, connectTimeoutMs: timeoutMs,
      ...(this.url.auth && { auth: this.url.auth }), log: { ...log, info: log.debug },
    })
    const client = this.client
    await client.connected()
    let children: string[]
    try {
      children = (await client.getChildren(this.url.path)).children
    } catch (err) {
      if (isZooKeeperError(err, 'NONODE')) return groupView(this.url.path, [], new Map())
      throw err
    }
    const data = new Map<string, string>()
    await Promise.all(members(children, MASTER_INFO_JSON_LABEL).map(async m => {
      try {
        data.set(m.name, new TextDecoder().decode((await client.getData(joinPath(this.url.path, m.name))).data))
      } catch (err) {
        if (!isZooKeeperError(err, 'NONODE')) throw err // gone since the listing: no longer a member
      }
    }))
    return groupView(this.url.path, children, data)
  }

  async close(): Promise<void> {
    await this.client?.close()
    this.client = undefined
  }
}

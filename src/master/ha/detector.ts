// Finding the leading master in ZooKeeper, as Mesos' ZooKeeperMasterDetector does (upstream
// src/master/detector/zookeeper.cpp, src/zookeeper/detector.cpp): the masters are the `json.info_<sequence>`
// children of the group znode (the path of the zk:// URL), the leader is the lowest sequence, and its znode holds
// its MasterInfo as JSON (MASTER_INFO_JSON_LABEL, upstream src/master/constants.hpp). Agents, schedulers and the
// CLI use this; MasterDetector follows the leader for as long as it runs, detectLeader asks once.

import { logger, type Logger } from '../../core/log.ts'
import type { MasterInfo } from '../../core/v1/messages.ts'
import { ZooKeeperClient, type StateChange } from '../../core/zookeeper/client.ts'
import { isZooKeeperError, ZooKeeperError, ERROR_CODES } from '../../core/zookeeper/errors.ts'
import { leaderOf } from '../../core/zookeeper/group.ts'
import { GroupWatch } from '../../core/zookeeper/group-watch.ts'
import { joinPath } from '../../core/zookeeper/paths.ts'
import { formatZooKeeperUrl, parseZooKeeperUrl, type ZooKeeperUrl } from '../../core/zookeeper/url.ts'

/** The label of a master's membership znode: `json.info_0000000003` holds JSON MasterInfo. Mesos before 0.24
 * wrote `info_` znodes with binary protobuf; meso neither writes nor reads those. */
export const MASTER_INFO_JSON_LABEL = 'json.info'

/** Mesos' MASTER_DETECTOR_ZK_SESSION_TIMEOUT (upstream src/master/detector/zookeeper.cpp). */
export const DETECTOR_SESSION_TIMEOUT_MS = 10_000

export interface DetectorOptions {
  sessionTimeoutMs?: number
  log?: Logger
}

/** Reads a leader znode's JSON MasterInfo; the path is in the error. */
export function parseMasterInfo(json: string, path: string): MasterInfo {
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch (e) {
    throw new Error(`master znode '${path}' does not hold JSON: ${e instanceof Error ? e.message : e}`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`master znode '${path}' does not hold a JSON object`)
  const o = v as Record<string, unknown>
  if (typeof o.id !== 'string' || typeof o.ip !== 'number' || typeof o.port !== 'number') {
    throw new Error(`master znode '${path}' holds no valid MasterInfo (required: id string, ip and port numbers)`)
  }
  return o as unknown as MasterInfo
}

const toUrl = (url: string | ZooKeeperUrl): ZooKeeperUrl => (typeof url === 'string' ? parseZooKeeperUrl(url) : url)

/**
 * Follows the leading master. It connects in the background and never gives up: when the session expires (or
 * cannot be established) it reports no leader and starts a new one. While merely disconnected it keeps
 * reporting the last leader it saw — ZooKeeper being unreachable says nothing about who leads.
 */
export class MasterDetector {
  private _leader: MasterInfo | undefined
  private leaderZnode: string | undefined
  private client: ZooKeeperClient | undefined
  private group: GroupWatch | undefined
  private closed = false
  private generation = 0
  private restartTimer: ReturnType<typeof setTimeout> | undefined
  private readonly listeners = new Set<(leader: MasterInfo | undefined) => void>()
  private readonly url: ZooKeeperUrl
  private readonly sessionTimeoutMs: number
  private readonly log: Logger
  private resolveReady!: () => void
  /** Resolves once the group has been read: from then on `leader` undefined means "no leader", not "not known
   * yet". */
  readonly ready: Promise<void>

  constructor(url: string | ZooKeeperUrl, opts: DetectorOptions = {}) {
    this.ready = new Promise(res => { this.resolveReady = res })
    this.url = toUrl(url)
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? DETECTOR_SESSION_TIMEOUT_MS
    this.log = opts.log ?? logger('detector')
    this.startSession()
  }

  /** The leader as last seen, undefined when there is none (or none known yet). */
  get leader(): MasterInfo | undefined {
    return this._leader
  }

  /** Called with the new leader (or undefined) every time the leading znode changes. */
  onChange(fn: (leader: MasterInfo | undefined) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Mesos' detect(previous): resolves at once with the leader if it is not `previous` (compared by id), else
   * with the next leader that is not. */
  detect(previous?: MasterInfo): Promise<MasterInfo | undefined> {
    if (this._leader?.id !== previous?.id) return Promise.resolve(this._leader)
    return new Promise(resolve => {
      const off = this.onChange(leader => {
        if (leader?.id === previous?.id) return
        off()
        resolve(leader)
      })
    })
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.group?.stop()
    await this.client?.close()
  }

  private startSession() {
    if (this.closed) return
    const client = new ZooKeeperClient({
      servers: this.url.servers, sessionTimeoutMs: this.sessionTimeoutMs, log: this.log, ...(this.url.auth && { auth: this.url.auth }),
    })
    this.client = client
    this.group = new GroupWatch(client, this.url.path, children => void this.onChildren(client, children), this.log)
    client.onState(c => this.onState(client, c))
  }

  private onState(client: ZooKeeperClient, c: StateChange) {
    if (client !== this.client || (c.state !== 'EXPIRED' && c.state !== 'CLOSED' && c.state !== 'AUTH_FAILED')) return
    this.group?.stop()
    if (this.closed) return
    // Without a session the group's membership is unknown: as Mesos' Group does on expiry, report no leader.
    this.setLeader(undefined, undefined)
    this.log.warn(`ZooKeeper session for ${formatZooKeeperUrl(this.url)} ended (${c.state}: ${c.reason}); starting a new one`)
    this.restartTimer = setTimeout(() => this.startSession(), Math.min(1000, this.sessionTimeoutMs / 4))
  }

  private async onChildren(client: ZooKeeperClient, children: string[]) {
    const gen = ++this.generation
    const member = leaderOf(children, MASTER_INFO_JSON_LABEL)
    if (!member) {
      this.setLeader(undefined, undefined)
      return this.resolveReady()
    }
    const path = joinPath(this.url.path, member.name)
    if (path === this.leaderZnode) return
    try {
      const { data } = await client.getData(path)
      if (gen !== this.generation) return // a newer view of the group is being read
      this.setLeader(parseMasterInfo(new TextDecoder().decode(data), path), path)
      this.resolveReady()
    } catch (e) {
      if (gen !== this.generation || isZooKeeperError(e, 'NONODE')) return // gone already: the child watch fires
      if (isZooKeeperError(e)) return // connection or session trouble: the group is read again after it
      // Mesos' detector fails for good on bad data; meso says so and reports no leader until the group changes.
      this.log.error(e instanceof Error ? e.message : String(e))
      this.setLeader(undefined, path)
      this.resolveReady()
    }
  }

  private setLeader(leader: MasterInfo | undefined, znode: string | undefined) {
    const changed = znode !== this.leaderZnode || leader?.id !== this._leader?.id
    this._leader = leader
    this.leaderZnode = znode
    if (!changed) return
    if (leader) this.log.info(`leading master is ${leader.pid ?? leader.id} (${znode})`)
    else this.log.info(`no leading master in ${formatZooKeeperUrl(this.url)}`)
    for (const l of [...this.listeners]) l(leader)
  }
}

/** One look at the group: the leader's MasterInfo, or undefined when no master is in it. Throws a
 * ZooKeeperError naming the servers when ZooKeeper does not answer within `timeoutMs`. For CLI commands, so the
 * session's comings and goings are logged at debug level only. */
export async function detectLeader(url: string | ZooKeeperUrl, timeoutMs = 10_000, opts: { log?: Logger } = {}): Promise<MasterInfo | undefined> {
  const u = toUrl(url)
  const deadline = Date.now() + timeoutMs
  const base = opts.log ?? logger('detector')
  const client = new ZooKeeperClient({
    servers: u.servers, connectTimeoutMs: timeoutMs, sessionTimeoutMs: Math.max(timeoutMs, 1000), ...(u.auth && { auth: u.auth }),
    log: { ...base, info: base.debug, warn: base.debug },
  })
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ZooKeeperError(ERROR_CODES.OPERATIONTIMEOUT, {
      op: 'detect leader', path: u.path, detail: `no answer from ${formatZooKeeperUrl(u)} within ${timeoutMs}ms`,
    })), Math.max(0, deadline - Date.now()))
  })
  try {
    return await Promise.race([lookup(client, u.path), timeout])
  } finally {
    clearTimeout(timer)
    await client.close()
  }
}

async function lookup(client: ZooKeeperClient, group: string): Promise<MasterInfo | undefined> {
  await client.connected()
  for (;;) {
    let children: string[]
    try {
      children = (await client.getChildren(group)).children
    } catch (e) {
      if (isZooKeeperError(e, 'NONODE')) return undefined // no master ever joined
      throw e
    }
    const member = leaderOf(children, MASTER_INFO_JSON_LABEL)
    if (!member) return undefined
    const path = joinPath(group, member.name)
    try {
      return parseMasterInfo(new TextDecoder().decode((await client.getData(path)).data), path)
    } catch (e) {
      if (!isZooKeeperError(e, 'NONODE')) throw e // the leader left between the two reads: look again
    }
  }
}

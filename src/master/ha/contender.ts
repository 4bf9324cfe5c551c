// A master's candidacy for leadership, as Mesos' ZooKeeperMasterContender does (upstream
// src/master/contender/zookeeper.cpp over src/zookeeper/contender.cpp and group.cpp): the master joins the
// group with an EPHEMERAL_SEQUENTIAL znode `<group>/json.info_<sequence>` holding its MasterInfo as JSON, leads
// once its sequence is the lowest, and has lost — for good: it must stop acting as leader at once — when its
// znode is gone or its session ended. A master that lost contends again only as a new process (Mesos' master
// exits on lost leadership); this object never re-joins.
//
// While its session is merely disconnected a leader stays leader: the client declares the session expired
// itself once no server answered for the session timeout, before the server can let another master win
// (core/zookeeper/liveness.ts).

import { logger, type Logger } from '../../core/log.ts'
import type { MasterInfo } from '../../core/v1/messages.ts'
import { ZooKeeperClient, type StateChange } from '../../core/zookeeper/client.ts'
import { isZooKeeperError } from '../../core/zookeeper/errors.ts'
import { type Fence, fencedWrite } from '../../core/zookeeper/fence.ts'
import { leaderOf, members, memberPrefix } from '../../core/zookeeper/group.ts'
import { GroupWatch } from '../../core/zookeeper/group-watch.ts'
import { joinPath } from '../../core/zookeeper/paths.ts'
import type { Op, OpResult } from '../../core/zookeeper/records.ts'
import { parseZooKeeperUrl, type ZooKeeperUrl } from '../../core/zookeeper/url.ts'
import { MASTER_INFO_JSON_LABEL } from './detector.ts'

/** Mesos' MASTER_CONTENDER_ZK_SESSION_TIMEOUT (upstream src/master/contender/zookeeper.cpp). */
export const CONTENDER_SESSION_TIMEOUT_MS = 10_000

export interface ContenderOptions {
  sessionTimeoutMs?: number
  /** How long join() waits for ZooKeeper; default the session timeout. */
  connectTimeoutMs?: number
  log?: Logger
}

export type ContenderEvent = { type: 'elected' } | { type: 'lost'; reason: string }

export class MasterContender {
  private leading = false
  private lostReason: string | undefined
  private readonly listeners = new Set<(e: ContenderEvent) => void>()
  private group: GroupWatch | undefined
  private offState: (() => void) | undefined
  private resolveElected!: () => void
  private rejectElected!: (e: Error) => void
  private resolveLost!: (reason: string) => void
  /** Resolves once this master leads; rejects if the candidacy is lost first. */
  readonly elected: Promise<void>
  /** Resolves with the reason once the candidacy (or leadership) is lost; it never comes back. */
  readonly lost: Promise<string>

  private constructor(
    /** The session; shared with whoever else writes for this master (the registrar). */
    readonly zk: ZooKeeperClient,
    /** The membership znode, e.g. '/mesos/json.info_0000000004'. */
    readonly path: string,
    readonly groupPath: string,
    private readonly ownsClient: boolean,
    private readonly log: Logger,
  ) {
    this.elected = new Promise((res, rej) => { this.resolveElected = res; this.rejectElected = rej })
    this.elected.catch(() => {}) // a standby that is never elected need not listen
    this.lost = new Promise(res => { this.resolveLost = res })
  }

  /** Connects to the zk:// URL's ensemble and joins its group; resolves once the membership znode exists. The
   * contender owns that session: withdraw() closes it. */
  static async join(url: string | ZooKeeperUrl, info: MasterInfo, opts: ContenderOptions = {}): Promise<MasterContender> {
    const u = typeof url === 'string' ? parseZooKeeperUrl(url) : url
    const log = opts.log ?? logger('contender')
    const sessionTimeoutMs = opts.sessionTimeoutMs ?? CONTENDER_SESSION_TIMEOUT_MS
    const client = await ZooKeeperClient.connect({
      servers: u.servers, sessionTimeoutMs, connectTimeoutMs: opts.connectTimeoutMs ?? sessionTimeoutMs, log, ...(u.auth && { auth: u.auth }),
    })
    try {
      return await MasterContender.joinWith(client, u.path, info, { log }, true)
    } catch (e) {
      await client.close()
      throw e
    }
  }

  /** Joins `groupPath` over an existing session; withdraw() then deletes the znode but leaves the session open. */
  static async joinWith(client: ZooKeeperClient, groupPath: string, info: MasterInfo, opts: { log?: Logger } = {}, ownsClient = false): Promise<MasterContender> {
    const log = opts.log ?? logger('contender')
    await client.mkdirp(groupPath)
    const path = await createMember(client, groupPath, JSON.stringify(info))
    const c = new MasterContender(client, path, groupPath, ownsClient, log)
    log.info(`joined the ZooKeeper group as ${path} (session 0x${BigInt.asUintN(64, client.sessionId).toString(16)})`)
    c.offState = client.onState(s => c.onState(s))
    c.group = new GroupWatch(client, groupPath, children => c.onChildren(children), log)
    return c
  }

  get isLeader(): boolean {
    return this.leading
  }

  /** What a fenced write checks: this membership znode, which nobody ever sets, at version 0. */
  get fence(): Fence {
    return { path: this.path, version: 0 }
  }

  onChange(fn: (e: ContenderEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Writes `ops` only while this master's membership stands (core/zookeeper/fence.ts); a FencedOutError means
   * it must step down. */
  fencedWrite(ops: readonly Op[]): Promise<OpResult[]> {
    return fencedWrite(this.zk, this.fence, ops)
  }

  /** Leaves the group (a graceful stop): the znode goes at once, so a standby takes over without waiting for
   * a session timeout. */
  async withdraw(): Promise<void> {
    if (this.lostReason !== undefined) return
    this.lose('withdrawn')
    if (this.ownsClient) return this.zk.close() // closeSession deletes the ephemeral znode
    await this.zk.delete(this.path).catch(e => {
      if (!isZooKeeperError(e, 'NONODE')) throw e
    })
  }

  private onChildren(children: string[]) {
    if (this.lostReason !== undefined) return
    const name = this.path.slice(this.path.lastIndexOf('/') + 1)
    if (!children.includes(name)) return this.lose(`membership znode ${this.path} was deleted`)
    if (!this.leading && leaderOf(children, MASTER_INFO_JSON_LABEL)?.name === name) {
      this.leading = true
      this.log.info(`elected leader (${this.path})`)
      this.resolveElected()
      this.emit({ type: 'elected' })
    }
  }

  private onState(s: StateChange) {
    if (s.state === 'EXPIRED' || s.state === 'CLOSED' || s.state === 'AUTH_FAILED') this.lose(`ZooKeeper session ${s.state.toLowerCase()}: ${s.reason ?? ''}`)
  }

  private lose(reason: string) {
    if (this.lostReason !== undefined) return
    this.lostReason = reason
    const was = this.leading
    this.leading = false
    this.group?.stop()
    this.offState?.()
    if (reason !== 'withdrawn') this.log.warn(`${was ? 'lost leadership' : 'lost candidacy'}: ${reason}`)
    this.rejectElected(new Error(`candidacy ${this.path} lost before election: ${reason}`))
    this.resolveLost(reason)
    this.emit({ type: 'lost', reason })
  }

  private emit(e: ContenderEvent) {
    for (const l of [...this.listeners]) {
      try {
        l(e)
      } catch (err) {
        this.log.error(`contender listener threw: ${err instanceof Error ? err.stack : err}`)
      }
    }
  }
}

/**
 * Creates the EPHEMERAL_SEQUENTIAL member znode. If the connection drops before the answer, the znode may exist
 * without our knowing its name — an orphan that could even lead. So after a CONNECTIONLOSS the group is searched
 * for a member owned by this session (Stat.ephemeralOwner) before creating again.
 */
async function createMember(client: ZooKeeperClient, groupPath: string, json: string): Promise<string> {
  for (;;) {
    try {
      return await client.create(memberPrefix(groupPath, MASTER_INFO_JSON_LABEL), json, { mode: 'EPHEMERAL_SEQUENTIAL' })
    } catch (e) {
      if (!isZooKeeperError(e, 'CONNECTIONLOSS')) throw e
    }
    const mine = await ownMember(client, groupPath)
    if (mine) return mine
  }
}

async function ownMember(client: ZooKeeperClient, groupPath: string): Promise<string | undefined> {
  for (;;) {
    try {
      const { children } = await client.getChildren(groupPath)
      for (const m of members(children, MASTER_INFO_JSON_LABEL).reverse()) {
        const path = joinPath(groupPath, m.name)
        const stat = await client.exists(path)
        if (stat && stat.ephemeralOwner === client.sessionId) return path
      }
      return undefined
    } catch (e) {
      if (!isZooKeeperError(e, 'CONNECTIONLOSS')) throw e // requests wait for the next connection; retry
    }
  }
}

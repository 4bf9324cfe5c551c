// A ZooKeeper client: one session over an ensemble, with exactly what meso's leader election and fenced
// registrar need. The protocol follows the Java client (upstream ClientCnxn.java, ZooKeeper.java):
//   - the session is established with ConnectRequest (protocol version 0, requested timeout, lastZxidSeen) and
//     survives a change of server: a lost connection is retried on the next server with the same sessionId and
//     password, and the watches are re-armed there with SetWatches (so callers never re-register them);
//   - requests are pipelined; the server answers in order, so replies are matched to the oldest request in
//     flight and an out-of-order xid is a broken connection;
//   - a lost connection fails the requests in flight with CONNECTIONLOSS (their outcome is unknown); requests
//     made while disconnected wait for the next connection;
//   - the session ends EXPIRED when a server says so (ConnectResponse timeOut <= 0) or, as Mesos' Group does,
//     when no server took the client back within the session timeout (liveness.ts says why that is safe);
//   - close() sends closeSession so the session's ephemeral nodes go at once.
// EXPIRED, AUTH_FAILED and CLOSED are final: the owner makes a new client (a new session) if it wants one.

import { logger, type Logger } from '../log.ts'
import { EVERYONE_READ_CREATOR_ALL, OPEN_ACL_UNSAFE } from './acl.ts'
import { Connection } from './connection.ts'
import { ERROR_CODES, isZooKeeperError, ZooKeeperError } from './errors.ts'
import { JuteReader, JuteWriter } from './jute.ts'
import { Liveness } from './liveness.ts'
import { pathPrefixes, validatePath } from './paths.ts'
import {
  type Acl, CreateFlags, type CreateMode, encodeAuth, encodeMulti, encodePath, encodePathWatch, encodeRequest, encodeSetWatches,
  EventType, type Op, OpCode, type OpResult, readCreateResponse, readGetChildren2Response, readGetDataResponse,
  readMultiResponse, readReplyHeader, readStat, readWatcherEvent, type Stat, toBytes, writeCreate, writePathVersion,
  writeSetData, Xid,
} from './records.ts'
import { formatServer, parseServers, type ServerAddress, type ZooKeeperAuth } from './url.ts'
import { type WatchKind, type Watcher, WatchRegistry } from './watches.ts'

export type SessionState = 'CONNECTING' | 'CONNECTED' | 'DISCONNECTED' | 'EXPIRED' | 'AUTH_FAILED' | 'CLOSED'

export interface StateChange {
  state: SessionState
  /** Why: the lost connection's cause, who said "expired"… */
  reason?: string
  /** The server the client is (or was last) connected to. */
  server?: string
}

export interface ZooKeeperOptions {
  /** 'h1:2181,h2:2181' or parsed addresses (a zk:// URL's `servers`). */
  servers: string | readonly ServerAddress[]
  /** The timeout asked for; the server clamps it to [minSessionTimeout, maxSessionTimeout]. Default 10 s,
   * Mesos' ZOOKEEPER_SESSION_TIMEOUT (upstream src/master/constants.hpp). */
  sessionTimeoutMs?: number
  /** Digest credentials, sent after every (re)connection; znodes are then created EVERYONE_READ_CREATOR_ALL. */
  auth?: ZooKeeperAuth
  /** Resume an existing session instead of starting one (the Java client's sessionId/sessionPasswd). */
  session?: { id: bigint; passwd: Uint8Array }
  /** How long connected() and connect() wait for the first connection; default the session timeout. */
  connectTimeoutMs?: number
  /** Try the servers in random order (the Java client's StaticHostProvider does). Default true. */
  shuffle?: boolean
  log?: Logger
}

export interface CreateOptions {
  mode?: CreateMode
  acl?: readonly Acl[]
}

interface Request {
  op: string
  opcode: number
  path?: string
  body?: Uint8Array
  decode(r: JuteReader): unknown
  /** Runs with the reply's error code before the caller hears of it: where a watch gets registered. */
  onReply?(err: number): void
  resolve(v: unknown): void
  reject(e: Error): void
  xid?: number
  sentAt?: number
}

const FINAL: ReadonlySet<SessionState> = new Set(['EXPIRED', 'AUTH_FAILED', 'CLOSED'])
/** What a request fails with once the session is over, by final state (CLOSING also while close() runs). */
function finalErrno(state: SessionState): number {
  return ERROR_CODES[state === 'EXPIRED' ? 'SESSIONEXPIRED' : state === 'AUTH_FAILED' ? 'AUTHFAILED' : 'CLOSING']
}
/** SetWatches is sent in batches of at most this many path bytes (ClientCnxn.SET_WATCHES_MAX_LENGTH). */
const SET_WATCHES_MAX_BYTES = 128 * 1024
const DEFAULT_SESSION_TIMEOUT_MS = 10_000
const EMPTY_PASSWD = new Uint8Array(16)

const now = () => performance.now()

/** Fisher–Yates, so that clients spread over the ensemble (the Java client's StaticHostProvider shuffles too). */
function shuffle<T>(items: T[]) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
}
const hex = (id: bigint) => `0x${BigInt.asUintN(64, id).toString(16)}`

export class ZooKeeperClient {
  private readonly servers: ServerAddress[]
  private readonly requestedTimeoutMs: number
  private readonly auth: ZooKeeperAuth | undefined
  private readonly defaultAcl: readonly Acl[]
  private readonly log: Logger

  private _state: SessionState = 'CONNECTING'
  private _sessionId = 0n
  private passwd: Uint8Array = EMPTY_PASSWD
  private lastZxid = 0n
  private conn: Connection | undefined
  private lastServer: string | undefined
  private nextServer = 0
  private xid = 0
  private closing = false
  private looping = false
  /** Ends the connect loop's current attempt or pause when the client reaches a final state. */
  private readonly stopConnecting = new AbortController()
  private readonly inflight: Request[] = []
  private queued: Request[] = []
  private readonly watches = new WatchRegistry()
  private readonly liveness: Liveness
  private readonly listeners = new Set<(c: StateChange) => void>()
  private readonly lastErrors = new Map<string, string>()
  private ticker: ReturnType<typeof setInterval> | undefined
  private expiryTimer: ReturnType<typeof setTimeout> | undefined
  private readonly firstConnection: Promise<void>

  constructor(opts: ZooKeeperOptions) {
    this.servers = typeof opts.servers === 'string' ? parseServers(opts.servers) : [...opts.servers]
    if (this.servers.length === 0) throw new Error('ZooKeeper client: no servers given')
    if (opts.shuffle ?? true) shuffle(this.servers)
    this.requestedTimeoutMs = opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS
    this.auth = opts.auth
    this.defaultAcl = opts.auth ? EVERYONE_READ_CREATOR_ALL : OPEN_ACL_UNSAFE
    this.log = opts.log ?? logger('zookeeper')
    this.liveness = new Liveness(this.requestedTimeoutMs)
    if (opts.session) {
      this._sessionId = opts.session.id
      this.passwd = opts.session.passwd
    }
    const connectTimeoutMs = opts.connectTimeoutMs ?? this.requestedTimeoutMs
    this.firstConnection = this.waitFirstConnection(connectTimeoutMs)
    this.firstConnection.catch(() => {}) // observed through connected(); never an unhandled rejection
    void this.connectLoop()
  }

  /** Connects and resolves once the session is established; rejects (and closes the client) with
   * CONNECTIONLOSS naming every server's last error if none answered within `connectTimeoutMs`. */
  static async connect(opts: ZooKeeperOptions): Promise<ZooKeeperClient> {
    const client = new ZooKeeperClient(opts)
    await client.connected()
    return client
  }

  /** Resolves once the first session is established. */
  connected(): Promise<void> {
    return this.firstConnection
  }

  get state(): SessionState {
    return this._state
  }

  /** 0n until the first connection. */
  get sessionId(): bigint {
    return this._sessionId
  }

  get sessionPasswd(): Uint8Array {
    return this.passwd
  }

  /** The negotiated session timeout (the requested one until connected). */
  get sessionTimeoutMs(): number {
    return this.liveness.sessionTimeoutMs
  }

  /** host:port of the server in use, or undefined while disconnected. */
  get server(): string | undefined {
    return this.conn?.server
  }

  /** Called on every state change; returns the unsubscribe function. */
  onState(fn: (change: StateChange) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  // --- operations ------------------------------------------------------------------------------------------

  /** Creates a node and returns its path (with the sequence suffix for sequential modes). */
  create(path: string, data?: Uint8Array | string, opts: CreateOptions = {}): Promise<string> {
    const mode = opts.mode ?? 'PERSISTENT'
    validatePath(path, mode.endsWith('SEQUENTIAL'))
    const w = new JuteWriter()
    writeCreate(w, path, toBytes(data), opts.acl ?? this.defaultAcl, CreateFlags[mode])
    return this.submit({ op: 'create', opcode: OpCode.create, path, body: w.bytes(), decode: readCreateResponse })
  }

  /** Deletes a node; `version` -1 (the default) matches any version. */
  delete(path: string, version = -1): Promise<void> {
    validatePath(path)
    const w = new JuteWriter()
    writePathVersion(w, path, version)
    return this.submit({ op: 'delete', opcode: OpCode.delete, path, body: w.bytes(), decode: () => undefined })
  }

  /** The node's Stat, or undefined when it does not exist. A watcher fires on its creation, deletion or data
   * change — whichever comes first — in both cases. */
  exists(path: string, watcher?: Watcher): Promise<Stat | undefined> {
    validatePath(path)
    return this.submit<Stat | undefined>({
      op: 'exists', opcode: OpCode.exists, path, body: encodePathWatch(path, watcher !== undefined), decode: readStat,
      onReply: err => this.arm(err === 0 ? 'data' : err === ERROR_CODES.NONODE ? 'exist' : undefined, path, watcher),
    }).catch(e => {
      if (isZooKeeperError(e, 'NONODE')) return undefined
      throw e
    })
  }

  /** The node's data and Stat; a watcher fires on its deletion or next data change. */
  getData(path: string, watcher?: Watcher): Promise<{ data: Uint8Array; stat: Stat }> {
    validatePath(path)
    return this.submit({
      op: 'getData', opcode: OpCode.getData, path, body: encodePathWatch(path, watcher !== undefined), decode: readGetDataResponse,
      onReply: err => this.arm(err === 0 ? 'data' : undefined, path, watcher),
    })
  }

  /** Replaces the node's data if its version is `version` (-1: any); returns the new Stat. */
  setData(path: string, data: Uint8Array | string, version = -1): Promise<Stat> {
    validatePath(path)
    const w = new JuteWriter()
    writeSetData(w, path, toBytes(data), version)
    return this.submit({ op: 'setData', opcode: OpCode.setData, path, body: w.bytes(), decode: readStat })
  }

  /** The children's names (not paths), unsorted, and the node's Stat (getChildren2); a watcher fires on the
   * node's deletion or a change in its children. */
  getChildren(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: Stat }> {
    validatePath(path)
    return this.submit({
      op: 'getChildren', opcode: OpCode.getChildren2, path, body: encodePathWatch(path, watcher !== undefined), decode: readGetChildren2Response,
      onReply: err => this.arm(err === 0 ? 'child' : undefined, path, watcher),
    })
  }

  /** Runs `ops` as one transaction: all apply or none. On failure rejects with the first failing op's error,
   * its `opIndex` and `path` set. */
  multi(ops: readonly Op[]): Promise<OpResult[]> {
    if (ops.length === 0) return Promise.resolve([])
    for (const op of ops) validatePath(op.path, op.type === 'create' && (op.mode ?? 'PERSISTENT').endsWith('SEQUENTIAL'))
    return this.submit({
      op: 'multi', opcode: OpCode.multi, body: encodeMulti(ops, this.defaultAcl),
      decode: r => {
        const results = readMultiResponse(r)
        const failed = results.findIndex(res => res.type === 'error' && res.err !== 0)
        if (failed < 0) return results
        const res = results[failed]
        const err = new ZooKeeperError(res?.type === 'error' ? res.err : ERROR_CODES.APIERROR, {
          op: `multi op #${failed} (${ops[failed]?.type})`, path: ops[failed]?.path, server: this.conn?.server,
        })
        err.opIndex = failed
        throw err
      },
    })
  }

  /** Waits until the server this client talks to has caught up with the ensemble's leader for `path`. */
  sync(path: string): Promise<void> {
    validatePath(path)
    return this.submit({ op: 'sync', opcode: OpCode.sync, path, body: encodePath(path), decode: () => undefined })
  }

  /** Creates `path` and any missing parent, empty and persistent; existing ones are left as they are. */
  async mkdirp(path: string, acl?: readonly Acl[]): Promise<void> {
    validatePath(path)
    // Pipelined: the server applies them in order, parents first.
    await Promise.all(pathPrefixes(path).map(p => this.create(p, undefined, acl ? { acl } : {}).catch(e => {
      if (!isZooKeeperError(e, 'NODEEXISTS')) throw e
    })))
  }

  /** Ends the session: closeSession makes the server delete its ephemeral nodes at once. Without a connection
   * the server cannot be told, and they stay until it expires the session. */
  async close(): Promise<void> {
    if (FINAL.has(this._state) || this.closing) return
    this.closing = true
    const conn = this.conn
    if (conn && this._state === 'CONNECTED') {
      let timer: ReturnType<typeof setTimeout> | undefined
      await new Promise<void>(resolve => {
        timer = setTimeout(resolve, Math.min(this.sessionTimeoutMs, 2000)) // a server that does not answer
        this.send(conn, { op: 'closeSession', opcode: OpCode.closeSession, decode: () => undefined, resolve: () => resolve(), reject: () => resolve() })
      })
      clearTimeout(timer)
    }
    this.finish('CLOSED', 'closed by the client')
  }

  // --- requests --------------------------------------------------------------------------------------------

  private submit<T>(req: Omit<Request, 'resolve' | 'reject'>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const r: Request = { ...req, resolve: v => resolve(v as T), reject }
      if (FINAL.has(this._state) || this.closing) return reject(this.finalError(r))
      if (this.conn && this._state === 'CONNECTED') this.send(this.conn, r)
      else this.queued.push(r)
    })
  }

  private send(conn: Connection, r: Request) {
    this.xid = this.xid >= 0x7fffffff ? 1 : this.xid + 1
    r.xid = this.xid
    r.sentAt = now()
    this.inflight.push(r)
    conn.send(encodeRequest(r.xid, r.opcode, r.body))
    this.liveness.sent(r.sentAt)
  }

  private arm(kind: WatchKind | undefined, path: string, watcher: Watcher | undefined) {
    if (kind && watcher) this.watches.add(kind, path, watcher)
  }

  private errorFor(errno: number, r: Pick<Request, 'op' | 'path'>, detail?: string): ZooKeeperError {
    return new ZooKeeperError(errno, { op: r.op, ...(r.path !== undefined && { path: r.path }), ...(this.lastServer !== undefined && { server: this.lastServer }), ...(detail !== undefined && { detail }) })
  }

  private finalError(r: Pick<Request, 'op' | 'path'>): ZooKeeperError {
    return this.errorFor(finalErrno(this._state), r)
  }

  // --- packets ---------------------------------------------------------------------------------------------

  private onFrame(conn: Connection, frame: Uint8Array) {
    if (conn !== this.conn) return
    const at = now()
    this.liveness.received(at)
    const r = new JuteReader(frame)
    let hdr
    try {
      hdr = readReplyHeader(r)
    } catch (e) {
      return this.dropConnection(conn, `unreadable reply: ${e instanceof Error ? e.message : e}`)
    }
    if (hdr.zxid > 0n) this.lastZxid = hdr.zxid
    switch (hdr.xid) {
      case Xid.ping:
        this.liveness.acked(undefined)
        return
      case Xid.auth:
        if (hdr.err !== 0) this.finish('AUTH_FAILED', `${conn.server} rejected the ${this.auth?.scheme} credentials (${hdr.err})`)
        return
      case Xid.setWatches:
        if (hdr.err !== 0) this.log.warn(`ZooKeeper ${conn.server} refused to re-arm watches (error ${hdr.err})`)
        return
      case Xid.notification:
        return this.onNotification(r)
    }
    const req = this.inflight.shift()
    if (!req || req.xid !== hdr.xid) {
      if (req) this.inflight.unshift(req)
      return this.dropConnection(conn, `reply xid ${hdr.xid} does not match the oldest request (${req?.xid ?? 'none'})`)
    }
    if (req.sentAt !== undefined) this.liveness.acked(req.sentAt)
    req.onReply?.(hdr.err)
    if (hdr.err !== 0) return req.reject(this.errorFor(hdr.err, req))
    try {
      req.resolve(req.decode(r))
    } catch (e) {
      req.reject(e instanceof ZooKeeperError ? e : this.errorFor(ERROR_CODES.MARSHALLINGERROR, req, e instanceof Error ? e.message : String(e)))
    }
  }

  private onNotification(r: JuteReader) {
    let ev
    try {
      ev = readWatcherEvent(r)
    } catch (e) {
      return this.log.warn(`unreadable ZooKeeper watch event: ${e instanceof Error ? e.message : e}`)
    }
    const type = EventType[ev.type as keyof typeof EventType]
    if (!type) return // state-only events (type None) are reported through onState instead
    for (const w of this.watches.take({ type, path: ev.path })) {
      try {
        w({ type, path: ev.path })
      } catch (e) {
        this.log.error(`ZooKeeper watcher for ${type} '${ev.path}' threw: ${e instanceof Error ? e.stack : e}`)
      }
    }
  }

  // --- connections -----------------------------------------------------------------------------------------

  private async connectLoop() {
    if (this.looping) return
    this.looping = true
    try {
      let failedInRound = 0
      while (this._state === 'CONNECTING' || this._state === 'DISCONNECTED') {
        const addr = this.servers[this.nextServer++ % this.servers.length]!
        const server = formatServer(addr)
        const sentAt = now()
        this.lastErrors.set(server, 'no answer yet')
        let opened
        try {
          opened = await Connection.open(addr, {
            protocolVersion: 0, lastZxidSeen: this.lastZxid, timeOut: this.requestedTimeoutMs, sessionId: this._sessionId, passwd: this.passwd, readOnly: false,
          }, this.attemptTimeoutMs(), this.stopConnecting.signal)
        } catch (e) {
          this.lastErrors.set(server, e instanceof Error ? e.message : String(e))
          if (++failedInRound >= this.servers.length) {
            failedInRound = 0
            // A pause between rounds (the Java client's StaticHostProvider spins 1 s): short enough to get back
            // well within the session timeout.
            await this.pause(Math.min(1000, this.sessionTimeoutMs / 8))
          }
          continue
        }
        const { conn, response } = opened
        if (!(this._state === 'CONNECTING' || this._state === 'DISCONNECTED')) {
          conn.close()
          break
        }
        if (response.timeOut <= 0) {
          conn.close()
          this.finish('EXPIRED', `${server} says session ${hex(this._sessionId)} has expired`)
          break
        }
        // Normally CONNECTED now, which ends the loop; a server that hangs up at once sends it round again.
        this.adopt(conn, response.sessionId, response.passwd, response.timeOut, sentAt)
      }
    } finally {
      this.looping = false
    }
  }

  private pause(ms: number): Promise<void> {
    const signal = this.stopConnecting.signal
    return new Promise(resolve => {
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  /** Each server gets its share of the session timeout, as in ClientCnxn (connectTimeout = T / servers). */
  private attemptTimeoutMs(): number {
    return Math.max(100, Math.floor(this.sessionTimeoutMs / this.servers.length))
  }

  private adopt(conn: Connection, sessionId: bigint, passwd: Uint8Array, timeoutMs: number, sentAt: number) {
    const resumed = this._sessionId === sessionId && sessionId !== 0n
    this._sessionId = sessionId
    this.passwd = passwd
    this.conn = conn
    this.lastServer = conn.server
    this.lastErrors.clear()
    this.liveness.connected(sentAt, now(), timeoutMs)
    this.clearTimers()
    conn.attach({ frame: f => this.onFrame(conn, f), closed: reason => this.onConnectionLost(conn, reason) })
    if (this.conn !== conn) return // the server hung up on the handshake's heels
    // The order of ClientCnxn.primeConnection: SetWatches, then credentials, then what waited for a connection.
    if (resumed) this.rearmWatches(conn)
    if (this.auth) conn.send(encodeRequest(Xid.auth, OpCode.auth, encodeAuth(this.auth.scheme, new TextEncoder().encode(this.auth.credentials))))
    this.ticker = setInterval(() => this.tick(), this.liveness.tickMs)
    this.setState('CONNECTED', resumed ? `session ${hex(sessionId)} resumed` : `session ${hex(sessionId)} established, timeout ${timeoutMs}ms`)
    if (this.conn !== conn) return // a listener closed the client
    const waiting = this.queued
    this.queued = []
    for (const r of waiting) this.send(conn, r)
  }

  private rearmWatches(conn: Connection) {
    const paths = this.watches.paths()
    const entries = (['data', 'exist', 'child'] as const).flatMap(kind => paths[kind].map(path => ({ kind, path })))
    while (entries.length > 0) {
      const batch: Record<WatchKind, string[]> = { data: [], exist: [], child: [] }
      let bytes = 0
      while (entries.length > 0 && (bytes === 0 || bytes + entries[0]!.path.length <= SET_WATCHES_MAX_BYTES)) {
        const e = entries.shift()!
        batch[e.kind].push(e.path)
        bytes += e.path.length
      }
      conn.send(encodeRequest(Xid.setWatches, OpCode.setWatches, encodeSetWatches({
        relativeZxid: this.lastZxid, dataWatches: batch.data, existWatches: batch.exist, childWatches: batch.child,
      })))
    }
  }

  private tick() {
    const conn = this.conn
    if (!conn) return
    const at = now()
    if (this.liveness.readTimedOut(at)) return this.dropConnection(conn, `no reply within ${Math.round((this.sessionTimeoutMs * 2) / 3)}ms`)
    if (this.liveness.pingDue(at)) {
      conn.send(encodeRequest(Xid.ping, OpCode.ping))
      this.liveness.pingSent(at)
    }
  }

  private dropConnection(conn: Connection, reason: string) {
    conn.close()
    this.onConnectionLost(conn, reason)
  }

  private onConnectionLost(conn: Connection, reason: string) {
    if (conn !== this.conn) return
    this.conn = undefined
    this.clearTimers()
    for (const r of this.inflight.splice(0)) {
      if (r.opcode === OpCode.closeSession) r.resolve(undefined) // the server hangs up right after answering it
      else r.reject(this.errorFor(ERROR_CODES.CONNECTIONLOSS, r, `${reason}; whether the request was applied is unknown`))
    }
    if (this.closing) return this.finish('CLOSED', 'closed by the client')
    this.setState('DISCONNECTED', `lost ${conn.server}: ${reason}`)
    if (this._state !== 'DISCONNECTED') return // a listener closed the client
    const left = this.liveness.expiresAt() - now()
    if (left <= 0) return this.expireLocally()
    this.expiryTimer = setTimeout(() => this.expireLocally(), left)
    void this.connectLoop()
  }

  private expireLocally() {
    if (this._state !== 'DISCONNECTED') return
    this.finish('EXPIRED', `no ZooKeeper server answered for the session timeout (${this.sessionTimeoutMs}ms): session ${hex(this._sessionId)} taken for expired`)
  }

  private waitFirstConnection(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const off = this.onState(c => {
        if (c.state !== 'CONNECTED' && !FINAL.has(c.state)) return
        clearTimeout(timer)
        off()
        if (c.state === 'CONNECTED') resolve()
        else reject(new ZooKeeperError(finalErrno(c.state), { op: 'connect', ...(c.reason !== undefined && { detail: c.reason }) }))
      })
      const timer = setTimeout(() => {
        off()
        const tried = this.servers.map(s => `${formatServer(s)} (${this.lastErrors.get(formatServer(s)) ?? 'not tried'})`).join(', ')
        const err = new ZooKeeperError(ERROR_CODES.CONNECTIONLOSS, { op: 'connect', detail: `no server answered within ${timeoutMs}ms: ${tried}` })
        reject(err)
        this.finish('CLOSED', err.message)
      }, timeoutMs)
    })
  }

  /** Enters a final state: everything pending fails, watches are dropped, the connection goes. */
  private finish(state: 'EXPIRED' | 'AUTH_FAILED' | 'CLOSED', reason: string) {
    if (FINAL.has(this._state)) return
    this._state = state
    this.clearTimers()
    this.stopConnecting.abort()
    this.conn?.close()
    this.conn = undefined
    for (const r of [...this.inflight.splice(0), ...this.queued.splice(0)]) r.reject(this.finalError(r))
    this.watches.clear()
    this.emit({ state, reason, ...(this.lastServer !== undefined && { server: this.lastServer }) })
  }

  private setState(state: SessionState, reason: string) {
    this._state = state
    this.emit({ state, reason, ...(this.lastServer !== undefined && { server: this.lastServer }) })
  }

  private emit(change: StateChange) {
    const level = change.state === 'CONNECTED' ? 'info' : 'warn'
    if (change.state !== 'CLOSED') this.log[level](`ZooKeeper ${change.state}${change.server ? ` (${change.server})` : ''}: ${change.reason ?? ''}`)
    for (const l of [...this.listeners]) {
      try {
        l(change)
      } catch (e) {
        this.log.error(`ZooKeeper state listener threw: ${e instanceof Error ? e.stack : e}`)
      }
    }
  }

  private clearTimers() {
    if (this.ticker) clearInterval(this.ticker)
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.ticker = undefined
    this.expiryTimer = undefined
  }
}

// The ZooKeeper client protocol's records (upstream zookeeper-jute/src/main/resources/zookeeper.jute), opcodes
// (ZooDefs.java, OpCode) and special xids (ClientCnxn.java), encoded with jute.ts. Only what the client in
// client.ts sends or reads is here. Pure: no I/O.

import { JuteError, JuteReader, JuteWriter } from './jute.ts'

/** ZooDefs.OpCode. */
export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  auth: 100,
  setWatches: 101,
  closeSession: -11,
  error: -1,
} as const

/** ClientCnxn's reserved xids: replies carrying them are not answers to a numbered request. */
export const Xid = { notification: -1, ping: -2, auth: -4, setWatches: -8 } as const

/** CreateMode flags (CreateMode.java): bit 0 ephemeral, bit 1 sequential. */
export const CreateFlags = { PERSISTENT: 0, EPHEMERAL: 1, PERSISTENT_SEQUENTIAL: 2, EPHEMERAL_SEQUENTIAL: 3 } as const
export type CreateMode = keyof typeof CreateFlags

/** ZooDefs.Perms. */
export const Perms = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const

/** class ACL { int perms; Id id } with Id { ustring scheme; ustring id }. */
export interface Acl {
  perms: number
  scheme: string
  id: string
}

/** class Stat: zxids and the session owner are 64-bit and kept as bigint; times are epoch milliseconds. */
export interface Stat {
  czxid: bigint
  mzxid: bigint
  ctime: number
  mtime: number
  version: number
  cversion: number
  aversion: number
  /** The owning session's id for an ephemeral node, 0n otherwise. */
  ephemeralOwner: bigint
  dataLength: number
  numChildren: number
  pzxid: bigint
}

export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: Number(r.long()),
    mtime: Number(r.long()),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  }
}

export function writeStat(w: JuteWriter, s: Stat) {
  w.long(s.czxid).long(s.mzxid).long(BigInt(s.ctime)).long(BigInt(s.mtime))
  w.int(s.version).int(s.cversion).int(s.aversion).long(s.ephemeralOwner).int(s.dataLength).int(s.numChildren).long(s.pzxid)
}

function writeAcls(w: JuteWriter, acl: readonly Acl[]) {
  w.vector(acl, (w, a) => w.int(a.perms).ustring(a.scheme).ustring(a.id))
}

const str = (r: JuteReader, what: string): string => {
  const s = r.ustring()
  if (s === null) throw new JuteError(`jute: null ${what}`)
  return s
}

// --- session -------------------------------------------------------------------------------------------------

export interface ConnectRequest {
  protocolVersion: number
  lastZxidSeen: bigint
  timeOut: number
  sessionId: bigint
  passwd: Uint8Array
  readOnly: boolean
}

export function encodeConnectRequest(c: ConnectRequest): Uint8Array {
  return new JuteWriter().int(c.protocolVersion).long(c.lastZxidSeen).int(c.timeOut).long(c.sessionId).buffer(c.passwd).bool(c.readOnly).bytes()
}

export function decodeConnectRequest(r: JuteReader): ConnectRequest {
  return { protocolVersion: r.int(), lastZxidSeen: r.long(), timeOut: r.int(), sessionId: r.long(), passwd: r.buffer() ?? new Uint8Array(0), readOnly: r.bool() }
}

export interface ConnectResponse {
  protocolVersion: number
  /** The negotiated session timeout; 0 or less means the server no longer knows the session (expired). */
  timeOut: number
  sessionId: bigint
  passwd: Uint8Array
  readOnly: boolean
}

export function decodeConnectResponse(r: JuteReader): ConnectResponse {
  const protocolVersion = r.int()
  const timeOut = r.int()
  const sessionId = r.long()
  const passwd = r.buffer() ?? new Uint8Array(0)
  // Servers before 3.4 end the record here (ClientCnxnSocket.readConnectResult tolerates the missing byte).
  const readOnly = r.remaining > 0 ? r.bool() : false
  return { protocolVersion, timeOut, sessionId, passwd, readOnly }
}

export function encodeConnectResponse(c: ConnectResponse): Uint8Array {
  return new JuteWriter().int(c.protocolVersion).int(c.timeOut).long(c.sessionId).buffer(c.passwd).bool(c.readOnly).bytes()
}

// --- headers -------------------------------------------------------------------------------------------------

/** class RequestHeader { int xid; int type } followed by the request record. */
export function encodeRequest(xid: number, type: number, body?: Uint8Array): Uint8Array {
  const w = new JuteWriter().int(xid).int(type)
  if (body) w.raw(body)
  return w.bytes()
}

export interface ReplyHeader {
  xid: number
  zxid: bigint
  err: number
}

export function readReplyHeader(r: JuteReader): ReplyHeader {
  return { xid: r.int(), zxid: r.long(), err: r.int() }
}

export function encodeReplyHeader(h: ReplyHeader): Uint8Array {
  return new JuteWriter().int(h.xid).long(h.zxid).int(h.err).bytes()
}

/** class WatcherEvent { int type; int state; ustring path } (types from Watcher.Event.EventType). */
export const EventType = { 1: 'NodeCreated', 2: 'NodeDeleted', 3: 'NodeDataChanged', 4: 'NodeChildrenChanged' } as const
export type WatchEventType = (typeof EventType)[keyof typeof EventType]

export interface WatcherEvent {
  type: number
  state: number
  path: string
}

export function readWatcherEvent(r: JuteReader): WatcherEvent {
  return { type: r.int(), state: r.int(), path: r.ustring() ?? '' }
}

export function encodeWatcherEvent(e: WatcherEvent): Uint8Array {
  return new JuteWriter().int(e.type).int(e.state).ustring(e.path).bytes()
}

// --- requests ------------------------------------------------------------------------------------------------

/** CreateRequest { ustring path; buffer data; vector<ACL> acl; int flags }. */
export function writeCreate(w: JuteWriter, path: string, data: Uint8Array, acl: readonly Acl[], flags: number) {
  w.ustring(path).buffer(data)
  writeAcls(w, acl)
  w.int(flags)
}

/** DeleteRequest { ustring path; int version }, also CheckVersionRequest's shape. */
export function writePathVersion(w: JuteWriter, path: string, version: number) {
  w.ustring(path).int(version)
}

/** SetDataRequest { ustring path; buffer data; int version }. */
export function writeSetData(w: JuteWriter, path: string, data: Uint8Array, version: number) {
  w.ustring(path).buffer(data).int(version)
}

/** ExistsRequest, GetDataRequest, GetChildren2Request: { ustring path; boolean watch }. */
export function encodePathWatch(path: string, watch: boolean): Uint8Array {
  return new JuteWriter().ustring(path).bool(watch).bytes()
}

/** SyncRequest { ustring path }. */
export function encodePath(path: string): Uint8Array {
  return new JuteWriter().ustring(path).bytes()
}

/** AuthPacket { int type; ustring scheme; buffer auth }; type is 0 in every client. */
export function encodeAuth(scheme: string, auth: Uint8Array): Uint8Array {
  return new JuteWriter().int(0).ustring(scheme).buffer(auth).bytes()
}

export interface SetWatches {
  relativeZxid: bigint
  dataWatches: string[]
  existWatches: string[]
  childWatches: string[]
}

export function encodeSetWatches(s: SetWatches): Uint8Array {
  const w = new JuteWriter().long(s.relativeZxid)
  for (const list of [s.dataWatches, s.existWatches, s.childWatches]) w.vector(list, (w, p) => w.ustring(p))
  return w.bytes()
}

export function decodeSetWatches(r: JuteReader): SetWatches {
  const list = () => (r.vector(r => str(r, 'watch path')) ?? [])
  return { relativeZxid: r.long(), dataWatches: list(), existWatches: list(), childWatches: list() }
}

// --- responses -----------------------------------------------------------------------------------------------

export const readCreateResponse = (r: JuteReader): string => str(r, 'created path')

export function readGetDataResponse(r: JuteReader): { data: Uint8Array; stat: Stat } {
  const data = r.buffer() ?? new Uint8Array(0)
  return { data, stat: readStat(r) }
}

export function readGetChildren2Response(r: JuteReader): { children: string[]; stat: Stat } {
  const children = r.vector(r => str(r, 'child name')) ?? []
  return { children, stat: readStat(r) }
}

// --- multi ---------------------------------------------------------------------------------------------------

/** The operations a multi (a transaction: all or nothing) may hold. */
export type Op =
  | { type: 'create'; path: string; data?: Uint8Array | string; mode?: CreateMode; acl?: readonly Acl[] }
  | { type: 'delete'; path: string; version?: number }
  | { type: 'setData'; path: string; data: Uint8Array | string; version?: number }
  | { type: 'check'; path: string; version: number }

export type OpResult =
  | { type: 'create'; path: string }
  | { type: 'delete' }
  | { type: 'setData'; stat: Stat }
  | { type: 'check' }
  | { type: 'error'; err: number }

const utf8 = new TextEncoder()
export const toBytes = (d: Uint8Array | string | undefined): Uint8Array => (d === undefined ? new Uint8Array(0) : typeof d === 'string' ? utf8.encode(d) : d)

/**
 * MultiOperationRecord (MultiOperationRecord.java): each op is MultiHeader { int type; boolean done; int err }
 * with done=false and err=-1, then its request record; a MultiHeader { -1, true, -1 } ends the list.
 */
export function encodeMulti(ops: readonly Op[], defaultAcl: readonly Acl[]): Uint8Array {
  const w = new JuteWriter()
  for (const op of ops) {
    switch (op.type) {
      case 'create':
        w.int(OpCode.create).bool(false).int(-1)
        writeCreate(w, op.path, toBytes(op.data), op.acl ?? defaultAcl, CreateFlags[op.mode ?? 'PERSISTENT'])
        break
      case 'delete':
        w.int(OpCode.delete).bool(false).int(-1)
        writePathVersion(w, op.path, op.version ?? -1)
        break
      case 'setData':
        w.int(OpCode.setData).bool(false).int(-1)
        writeSetData(w, op.path, toBytes(op.data), op.version ?? -1)
        break
      case 'check':
        w.int(OpCode.check).bool(false).int(-1)
        writePathVersion(w, op.path, op.version)
        break
    }
  }
  return w.int(-1).bool(true).int(-1).bytes()
}

/**
 * MultiResponse (MultiResponse.java): per op a MultiHeader then its result record (nothing for delete and check,
 * ErrorResponse { int err } for an error), ended by a header with done=true. When a transaction fails every op
 * comes back as an error: the one that failed with its code, those before it with 0 (rolled back), those after
 * with RUNTIMEINCONSISTENCY.
 */
export function readMultiResponse(r: JuteReader): OpResult[] {
  const out: OpResult[] = []
  for (;;) {
    const type = r.int()
    const done = r.bool()
    r.int() // err: repeated in the ErrorResponse for error results, 0 otherwise
    if (done) return out
    switch (type) {
      case OpCode.create: out.push({ type: 'create', path: readCreateResponse(r) }); break
      case OpCode.delete: out.push({ type: 'delete' }); break
      case OpCode.setData: out.push({ type: 'setData', stat: readStat(r) }); break
      case OpCode.check: out.push({ type: 'check' }); break
      case OpCode.error: out.push({ type: 'error', err: r.int() }); break
      default: throw new JuteError(`jute: unexpected op type ${type} in a multi response`)
    }
  }
}

/** Encodes a MultiResponse: the server's side, for round-trip tests. */
export function encodeMultiResponse(results: readonly OpResult[]): Uint8Array {
  const w = new JuteWriter()
  for (const res of results) {
    switch (res.type) {
      case 'create': w.int(OpCode.create).bool(false).int(0).ustring(res.path); break
      case 'delete': w.int(OpCode.delete).bool(false).int(0); break
      case 'setData': w.int(OpCode.setData).bool(false).int(0); writeStat(w, res.stat); break
      case 'check': w.int(OpCode.check).bool(false).int(0); break
      case 'error': w.int(OpCode.error).bool(false).int(res.err).int(res.err); break
    }
  }
  return w.int(-1).bool(true).int(-1).bytes()
}

// ZooKeeper's error codes (upstream KeeperException.java, enum Code; the reply header's `err` field in
// zookeeper.jute) as names, and one error class that says which code, which operation, which path and which
// server. CLOSING (-116) is the C client's ZCLOSING (zookeeper.h): a request made on, or left pending by, a
// client that is closing; the Java client has no code for it.

export const ERROR_CODES = {
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  UNKNOWNSESSION: -12,
  NEWCONFIGNOQUORUM: -13,
  RECONFIGINPROGRESS: -14,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  CLOSING: -116,
  SESSIONMOVED: -118,
  NOTREADONLY: -119,
  EPHEMERALONLOCALSESSION: -120,
  NOWATCHER: -121,
  REQUESTTIMEOUT: -122,
  RECONFIGDISABLED: -123,
  SESSIONCLOSEDREQUIRESASLAUTH: -124,
  QUOTAEXCEEDED: -125,
  THROTTLEDOP: -127,
} as const

export type ErrorCode = keyof typeof ERROR_CODES | 'UNKNOWN'

const BY_NUMBER = new Map<number, ErrorCode>(Object.entries(ERROR_CODES).map(([k, v]) => [v, k as ErrorCode]))

export function codeName(errno: number): ErrorCode {
  return BY_NUMBER.get(errno) ?? 'UNKNOWN'
}

const EXPLAIN: Partial<Record<ErrorCode, string>> = {
  NONODE: 'no such node',
  NODEEXISTS: 'node already exists',
  BADVERSION: 'version mismatch',
  NOTEMPTY: 'node has children',
  NOAUTH: 'not authorized',
  NOCHILDRENFOREPHEMERALS: 'ephemeral nodes may not have children',
  SESSIONEXPIRED: 'session expired',
  CONNECTIONLOSS: 'no connection to ZooKeeper',
  AUTHFAILED: 'authentication failed',
  CLOSING: 'client is closed',
  INVALIDACL: 'invalid ACL',
  BADARGUMENTS: 'bad arguments',
  OPERATIONTIMEOUT: 'operation timed out',
}

export interface ErrorContext {
  /** The request: create, getData, multi… */
  op?: string
  path?: string
  /** host:port of the server that answered (or that the client last used). */
  server?: string
  detail?: string
}

export class ZooKeeperError extends Error {
  readonly code: ErrorCode
  readonly errno: number
  readonly op?: string
  readonly path?: string
  readonly server?: string
  /** For multi: which operation failed first (its index in the request). */
  opIndex?: number

  constructor(errno: number, ctx: ErrorContext = {}) {
    const code = codeName(errno)
    const what = EXPLAIN[code] ?? `error ${errno}`
    const where = [ctx.op, ctx.path && `'${ctx.path}'`, ctx.server && `on ${ctx.server}`].filter(Boolean).join(' ')
    super(`ZooKeeper ${code}: ${what}${where ? ` (${where})` : ''}${ctx.detail ? `: ${ctx.detail}` : ''}`)
    this.name = 'ZooKeeperError'
    this.code = code
    this.errno = errno
    if (ctx.op !== undefined) this.op = ctx.op
    if (ctx.path !== undefined) this.path = ctx.path
    if (ctx.server !== undefined) this.server = ctx.server
  }
}

export function isZooKeeperError(e: unknown, code?: ErrorCode): e is ZooKeeperError {
  return e instanceof ZooKeeperError && (code === undefined || e.code === code)
}

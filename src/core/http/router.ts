// Path routing with libprocess' rules: a daemon's own process id (`master`, `slave(1)`) is its delegate, so
// `/state` and `/master/state` are the same endpoint; trailing slashes are trimmed; an unknown sub-path falls back
// to the longest registered prefix (`/master/frameworks/` works — the Mesos Python CLI relies on it).
//
// The router is also where hostile input stops (docs/security-input.md): no handler reads more of a body than its
// endpoint's limit, and the router runs each request's timer (Bun's idle timeout, which does not restart on I/O:
// only `server.timeout(req, s)` moves it):
// - waiting for a request, and a body that stalls: the daemon's --http_idle_timeout, renewed on every chunk;
// - the handler's turn, once the request is complete: no limit (WAIT_NESTED_CONTAINER and other long-polls);
// - the response: --http_idle_timeout to write a plain one; no limit for an event stream or a RecordIO stream;
// - a streamed request body (RecordIO attach input, image uploads): renewed on every chunk, for hours if it flows.
// A small body with a Content-Length within the limit (every scheduler call in practice) goes to the handler as it
// came, unread: Bun reads no more than the Content-Length, and the body is in hand within the idle timeout or the
// connection closes. readV1Call (v1-call.ts) lifts the timer once it has the body; other handlers of such requests
// answer quickly. Copying every request cost the scheduler API 7 µs a call (docs/security-input.md).

import { readBody } from './body.ts'
import { isLongLived } from './event-stream.ts'
import { methodNotAllowed, notFound } from './responses.ts'
import { limitsFor, STREAMED, type HttpLimits } from './server-limits.ts'

export type Handler = (req: Request, url: URL, server: import('bun').Server<any>) => Response | Promise<Response> | undefined | Promise<Response | undefined>

interface Route { methods: Set<string> | null; handler: Handler; path: string }

/**
 * How long a streamed request body may go quiet. Clients send a HEARTBEAT record every 30 s on attach input (the
 * Mesos CLI's HEARTBEAT_INTERVAL in src/python/cli_new/lib/cli/mesos.py, meso's client-side container session), so
 * two and a half intervals pass before a quiet one is taken for dead.
 */
export const STREAM_IDLE_SECONDS = 75

export class Router {
  private routes = new Map<string, Route>()

  constructor(private readonly delegate: string) {}

  /** Registers `path` (given without the delegate prefix) for the listed methods (null = any). */
  on(methods: string[] | null, path: string, handler: Handler): this {
    const route = { methods: methods ? new Set(methods) : null, handler, path }
    this.routes.set(path, route)
    if (this.delegate && !path.startsWith(`/${this.delegate}/`)) this.routes.set(`/${this.delegate}${path}`, route)
    return this
  }

  get(path: string, handler: Handler) { return this.on(['GET', 'HEAD', 'POST'], path, handler) }
  post(path: string, handler: Handler) { return this.on(['POST'], path, handler) }

  async handle(req: Request, server: import('bun').Server<any>): Promise<Response | undefined> {
    const url = new URL(req.url)
    let path = url.pathname.replace(/\/+$/, '') || '/'
    let route = this.routes.get(path)
    while (!route && path.lastIndexOf('/') > 0) {
      path = path.slice(0, path.lastIndexOf('/'))
      route = this.routes.get(path)
      // Only fall back for paths registered as prefixes of deeper paths, never to the root.
    }
    const clock = new RequestClock(server, req, limitsFor(this.delegate))
    if (!route) return clock.answered(notFound())
    if (route.methods && !route.methods.has(req.method)) return clock.answered(methodNotAllowed([...route.methods].filter(m => m !== 'HEAD')))
    // Most requests (every scheduler call) are admitted as they came: no promise to wait on for those.
    const admitted = admittedAsIs(req, route.path, clock) ?? await admit(req, route.path, clock)
    if (admitted instanceof Response) return clock.answered(admitted)
    let res: Response | undefined
    try {
      res = await route.handler(admitted, url, server)
    } catch (err) {
      clock.answered()
      throw err
    }
    return res && isLongLived(res) ? clock.streaming(res) : clock.answered(res)
  }
}

/** The limit of a route's body: its own, else the daemon's `*`. */
export function bodyLimit(limits: HttpLimits, routePath: string): number {
  return limits.bodyLimits.get(routePath) ?? limits.bodyLimits.get('*')!
}

/** The body a request announces: none, a Content-Length (NaN when malformed), or chunked. */
function announcedBody(req: Request): 'none' | 'chunked' | number {
  if (req.method === 'GET' || req.method === 'HEAD') return 'none'
  const cl = req.headers.get('content-length')
  if (cl === null) return req.headers.has('transfer-encoding') ? 'chunked' : 'none'
  const n = cl.length && cl.length < 16 ? Number(cl) : NaN
  return n === 0 ? 'none' : Number.isSafeInteger(n) && n > 0 ? n : NaN
}

const isRecordIO = (req: Request) => /^\s*application\/recordio\s*(;|$)/i.test(req.headers.get('content-type') ?? '')

/**
 * The request the handler gets when admittedAsIs did not pass on the original: a copy holding the body, read under
 * the limit; or, for streamed bodies, a copy whose body renews the timer as it flows. A Response when the body is
 * refused.
 */
async function admit(req: Request, routePath: string, clock: RequestClock): Promise<Request | Response> {
  const limit = bodyLimit(clock.limits, routePath)
  const recordio = isRecordIO(req)
  if (recordio || limit === STREAMED) {
    return streamedRequest(req, clock, recordio ? Math.max(clock.limits.idleTimeoutSeconds, STREAM_IDLE_SECONDS) : clock.limits.idleTimeoutSeconds)
  }
  const body = await readBody(req, limit, routePath, () => clock.renew())
  if (body instanceof Response) return body
  clock.lift()
  return copied(req, new Request(req.url, { method: req.method, headers: req.headers, body }))
}

/** admit's answer when it is the request itself (no body, or a small one the handler reads): else undefined. */
function admittedAsIs(req: Request, routePath: string, clock: RequestClock): Request | undefined {
  const announced = announcedBody(req)
  if (announced === 'none') { clock.lift(); return req }
  if (typeof announced === 'number' && announced <= SMALL_BODY && announced <= bodyLimit(clock.limits, routePath)) {
    clocks.set(req, clock)
    return req
  }
  return undefined
}

function streamedRequest(req: Request, clock: RequestClock, idleSeconds: number): Request {
  if (!req.body) { clock.lift(); return req }
  clock.renew(idleSeconds)
  const reader = req.body.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await reader.read()
      if (r.done) {
        clock.lift()
        controller.close()
        return
      }
      clock.renew(idleSeconds)
      controller.enqueue(r.value)
    },
    cancel(reason) { return reader.cancel(reason) },
  })
  return copied(req, new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal }))
}

/** Bodies the handler reads itself (see the top of this file). */
const SMALL_BODY = 64 * 1024

const clocks = new WeakMap<Request, RequestClock>()

/**
 * For a handler that has read the whole body of a request the router passed on unread: the request is complete,
 * so its timer is lifted for the handler's turn (a long-poll may follow). readV1Call calls it.
 */
export function requestComplete(req: Request): void {
  clocks.get(req)?.lift()
}

const originals = new WeakMap<Request, Request>()

function copied(original: Request, copy: Request): Request {
  originals.set(copy, original)
  return copy
}

/**
 * The request Bun handed to the server, for a handler that got the router's copy (a request with a body) and needs
 * what only Bun's own object answers: `server.requestIP(…)`, `server.timeout(…)`.
 */
export function bunRequest(req: Request): Request {
  return originals.get(req) ?? req
}

/** One request's timer on Bun's server (see the top of this file). Bun's timer ticks every 4 s. */
class RequestClock {
  private readonly idle: number
  /** Whether the timer was moved off Bun's own (the idle timeout from the request's start). */
  private moved = false
  constructor(private readonly server: import('bun').Server<any> | undefined, private readonly req: Request, readonly limits: HttpLimits) {
    this.idle = limits.idleTimeoutSeconds
  }

  private set(seconds: number) {
    if (this.idle === 0) return
    this.moved = true
    try { this.server?.timeout(this.req, seconds) } catch { /* the connection is gone */ }
  }

  /** The client made progress: it has `seconds` more to make the next. */
  renew(seconds = this.idle) { this.set(seconds) }
  /** The request is complete: no limit while the handler works. */
  lift() { this.set(0) }
  /** A plain answer: it must be written within the idle timeout, which then runs for the next request. */
  answered<R extends Response | undefined>(res?: R): R {
    if (this.moved) this.set(this.idle)
    return res as R
  }
  /** A stream: no limit while it lasts (it closes the connection when it ends: event-stream.ts). */
  streaming(res: Response): Response {
    this.set(0)
    return res
  }
}


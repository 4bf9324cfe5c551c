// The agent's end of the internal protocol: a WebSocket to the master. The first registration waits a random time
// in [0, --registration_backoff_factor] as in Mesos, to spread a cluster's agents; a lost link is retried within a
// second (see `dropped`); a silent master is noticed by missing pings. With LIBPROCESS_SSL_ENABLED the link is wss:// with the daemon's TLS client options
// (docs/security-tls.md).

import type { TLSOptions } from 'bun'
import type { AgentMessage, MasterMessage } from '../core/agent-protocol.ts'
import type { MasterInfo } from '../core/v1/messages.ts'
import { AGENT_PROTOCOL_PATH } from '../core/agent-protocol.ts'
import { logger } from '../core/log.ts'
import { clientTls, daemonTls } from '../core/tls.ts'
import { isZooKeeperUrl, leaderAddress } from '../core/master-address.ts'

const log = logger('master-link')
/** Longest wait before reconnecting after a link that was up dropped (see `dropped`). */
const RECONNECT_MAX_MS = 1_000
/** Right after a leader change (retarget): quick retries for this long, each within RETARGET_RETRY_MS. */
const RETARGET_WINDOW_MS = 5_000
const RETARGET_RETRY_MS = 100
/** How long a connection attempt may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 5_000

export interface MasterLinkHandlers {
  /** Called on every (re)connect; returns the REGISTER/REREGISTER message to send. */
  hello(): AgentMessage
  message(msg: MasterMessage): void
  disconnected(): void
}

/**
 * Normalizes `--master`: host:port, http(s)://host:port → ws(s) URL of the agent endpoint. host:port is wss:// when
 * TLS is on (`tls`, by default this process's LIBPROCESS_SSL_ENABLED), as every libprocess link is then; an explicit
 * http:// with TLS on is refused, since the master would not accept it.
 */
export function masterEndpoint(master: string, tls: boolean = daemonTls() !== undefined): string {
  let m = master.trim()
  if (isZooKeeperUrl(m)) throw new Error(`--master=${m}: a ZooKeeper URL names no master by itself; detect the leader first (ha/detector.ts)`)
  if (tls && /^http:\/\//.test(m)) throw new Error(`--master=${m}: TLS is on (LIBPROCESS_SSL_ENABLED), so the master is reached over https; give host:port or https://host:port`)
  if (!/^https?:\/\//.test(m)) m = `${tls ? 'https' : 'http'}://${m}`
  // The master's default port whatever the scheme (URL would read a missing https port as 443).
  const explicitPort = /^https?:\/\/(\[[^\]]*\]|[^/:?#]*):\d+/.test(m)
  const url = new URL(m)
  if (!explicitPort) url.port = '5050'
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = AGENT_PROTOCOL_PATH
  return url.toString()
}

/** The agent endpoint of a detected leader. */
export function leaderEndpoint(leader: MasterInfo): string {
  return masterEndpoint(leaderAddress(leader))
}

export class MasterLink {
  private ws?: WebSocket
  private stopped = false
  private reconnectTimer?: ReturnType<typeof setTimeout>
  private watchdog?: ReturnType<typeof setTimeout>
  private pingIntervalMs = 15_000
  private lastError = ''
  private retargetedAt = 0
  connected = false

  constructor(
    /** The master's agent endpoint; undefined while no leader is known (retarget sets it). */
    private url: string | undefined,
    private readonly handlers: MasterLinkHandlers,
    private readonly backoffFactorMs: number,
    private readonly authorization?: string,
    /** For wss://: CA, client certificate, verification (core/tls.ts clientTls); default this process's. */
    private readonly tls: TLSOptions | undefined = clientTls(),
  ) {}

  start(initialDelay = Math.random() * this.backoffFactorMs) {
    this.reconnectTimer = setTimeout(() => this.connect(), initialDelay)
  }

  send(msg: AgentMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false
    this.ws.send(JSON.stringify(msg))
    return true
  }

  setPingInterval(ms: number) { this.pingIntervalMs = ms; this.armWatchdog() }

  stop() {
    this.stopped = true
    clearTimeout(this.reconnectTimer)
    clearTimeout(this.watchdog)
    try { this.ws?.close() } catch { /* ignore */ }
  }

  /**
   * A new leader was detected (or none is): drop the link to the old one and connect to the new one at once — the
   * new leader is waiting for its agents to re-register.
   */
  retarget(url: string | undefined) {
    if (url === this.url) return
    log.info(url ? `Following the leading master at ${url}` : 'No leading master; waiting for one to be elected')
    this.url = url
    this.retargetedAt = Date.now()
    clearTimeout(this.reconnectTimer)
    if (this.ws) this.dropped(this.ws, 0)
    else if (url) this.reconnectTimer = setTimeout(() => this.connect(), 0)
  }

  private connect() {
    if (this.stopped || !this.url) return
    const headers: Record<string, string> = {}
    if (this.authorization) headers.Authorization = this.authorization
    const ws = new WebSocket(this.url, { headers, ...(this.tls ? { tls: this.tls } : {}) })
    this.ws = ws
    // A master behind a partition drops the SYN: without this the attempt hangs until the kernel gives up (minutes).
    const connectTimer = setTimeout(() => { if (!this.connected && this.ws === ws) this.dropped(ws) }, CONNECT_TIMEOUT_MS)
    ws.onopen = () => {
      clearTimeout(connectTimer)
      this.connected = true
      this.lastError = ''
      ws.send(JSON.stringify(this.handlers.hello()))
      this.armWatchdog()
    }
    ws.onmessage = ev => {
      let msg: MasterMessage
      try { msg = JSON.parse(String(ev.data)) } catch { log.warn('Dropping malformed message from master'); return }
      if (msg.type === 'PING') {
        this.armWatchdog()
        this.send({ type: 'PONG', seq: msg.seq })
        return
      }
      try { this.handlers.message(msg) } catch (err) { log.error(`Failed to handle ${msg.type} from master: ${(err as Error).stack ?? err}`) }
    }
    ws.onclose = () => this.dropped(ws)
    ws.onerror = ev => {
      // onclose follows and retries; say why once per distinct cause (a TLS handshake failure names the certificate problem).
      const why = 'message' in ev && typeof ev.message === 'string' ? ev.message : ''
      if (why && why !== this.lastError) log.warn(`Cannot connect to the master: ${why}`)
      this.lastError = why
    }
  }

  /**
   * The link to the master is gone (closed, silent, or never opened): forget it and try again soon. Reconnects wait
   * a random time up to RECONNECT_MAX_MS, so that a restarted or newly elected master has its agents back within a
   * second (a refused connection costs the agent next to nothing), spread over that second.
   */
  private dropped(ws: WebSocket, delay = this.reconnectDelay()) {
    if (this.ws !== ws) return
    const was = this.connected
    this.connected = false
    this.ws = undefined
    clearTimeout(this.watchdog)
    // A socket whose peer went silent may take minutes to finish closing: nothing waits for it.
    ws.onclose = null
    ws.onmessage = null
    try { ws.close() } catch { /* already closed */ }
    if (was) this.handlers.disconnected()
    if (this.stopped) return
    if (was) log.warn(`Lost the master at ${this.url}; reconnecting`)
    this.reconnectTimer = setTimeout(() => this.connect(), delay)
  }

  /**
   * A newly elected master refuses agents (307) for the moment it takes to recover its registrar: right after a
   * leader change, retry within RETARGET_RETRY_MS instead of waiting up to a second.
   */
  private reconnectDelay(): number {
    const fresh = Date.now() - this.retargetedAt < RETARGET_WINDOW_MS
    return Math.random() * (fresh ? RETARGET_RETRY_MS : RECONNECT_MAX_MS)
  }

  /** A master that stops pinging (partition, hang) is treated like a dropped link. */
  private armWatchdog() {
    clearTimeout(this.watchdog)
    if (!this.connected) return
    const ws = this.ws
    this.watchdog = setTimeout(() => {
      log.warn(`No ping from the master for ${(this.pingIntervalMs * 5) / 1000}s; reconnecting`)
      if (ws) this.dropped(ws)
    }, this.pingIntervalMs * 5)
  }
}

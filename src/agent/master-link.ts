// The agent's end of the internal protocol: a WebSocket to the master that reconnects with Mesos' registration
// backoff (a random wait in [0, --registration_backoff_factor], doubling up to 1 min), and notices a silent master
// by missing pings.

import type { AgentMessage, MasterMessage } from '../core/agent-protocol.ts'
import { AGENT_PROTOCOL_PATH } from '../core/agent-protocol.ts'
import { logger } from '../core/log.ts'

const log = logger('master-link')
const BACKOFF_MAX_MS = 60_000

export interface MasterLinkHandlers {
  /** Called on every (re)connect; returns the REGISTER/REREGISTER message to send. */
  hello(): AgentMessage
  message(msg: MasterMessage): void
  disconnected(): void
}

/** Normalizes `--master`: host:port, http(s)://host:port → ws(s) URL of the agent endpoint. */
export function masterEndpoint(master: string): string {
  let m = master.trim()
  if (m.startsWith('zk://') || m.startsWith('file://')) {
    throw new Error(`--master=${m}: ZooKeeper and file:// master detection are not supported; give host:port`)
  }
  if (!/^https?:\/\//.test(m)) m = `http://${m}`
  const url = new URL(m)
  if (!url.port && url.protocol === 'http:') url.port = '5050'
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = AGENT_PROTOCOL_PATH
  return url.toString()
}

export class MasterLink {
  private ws?: WebSocket
  private backoff: number
  private stopped = false
  private reconnectTimer?: ReturnType<typeof setTimeout>
  private watchdog?: ReturnType<typeof setTimeout>
  private pingIntervalMs = 15_000
  connected = false

  constructor(
    private readonly url: string,
    private readonly handlers: MasterLinkHandlers,
    private readonly backoffFactorMs: number,
    private readonly authorization?: string,
  ) {
    this.backoff = backoffFactorMs
  }

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

  private connect() {
    if (this.stopped) return
    const headers: Record<string, string> = {}
    if (this.authorization) headers.Authorization = this.authorization
    const ws = new WebSocket(this.url, { headers } as any)
    this.ws = ws
    ws.onopen = () => {
      this.connected = true
      this.backoff = this.backoffFactorMs
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
    ws.onclose = () => {
      if (this.ws !== ws) return
      const was = this.connected
      this.connected = false
      this.ws = undefined
      clearTimeout(this.watchdog)
      if (was) this.handlers.disconnected()
      if (this.stopped) return
      const delay = Math.random() * this.backoff
      this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS)
      if (was) log.warn(`Lost the master at ${this.url}; reconnecting`)
      this.reconnectTimer = setTimeout(() => this.connect(), delay)
    }
    ws.onerror = () => { /* onclose follows */ }
  }

  /** A master that stops pinging (partition, hang) is treated like a dropped link. */
  private armWatchdog() {
    clearTimeout(this.watchdog)
    if (!this.connected) return
    this.watchdog = setTimeout(() => {
      log.warn(`No ping from the master for ${(this.pingIntervalMs * 5) / 1000}s; reconnecting`)
      try { this.ws?.close() } catch { /* ignore */ }
    }, this.pingIntervalMs * 5)
  }
}

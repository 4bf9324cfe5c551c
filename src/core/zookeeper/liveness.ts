// When a session pings, when its connection counts as dead, and when the session must count as expired, from
// the negotiated timeout T (upstream ClientCnxn.java: readTimeout = 2T/3, a ping once nothing was sent for
// readTimeout/2 = T/3). Pure: times are passed in (milliseconds on a monotonic clock).
//
// Local expiry is Mesos' rule (upstream src/zookeeper/group.cpp, GroupProcess::reconnecting): the server only
// says "expired" once a client reconnects, which during a partition may be long after it expired the session
// and let another master win. So a client that cannot reach any server expires its session itself — here at
// T after sending the last request the server acknowledged, less a twentieth of T for late timers and clock
// drift. The server heard from the session no earlier than that send and expires it no earlier than T after what
// it last heard (rounded up to a tick, upstream ExpiryQueue.java), so the client gives up first.

export class Liveness {
  private lastSend = 0
  private lastRecv = 0
  private lastAckedSend = 0
  private pingSentAt: number | undefined

  constructor(private timeoutMs: number) {}

  get sessionTimeoutMs(): number {
    return this.timeoutMs
  }

  /** A (re)connection: the handshake sent at `sentAt` was answered now. */
  connected(sentAt: number, now: number, timeoutMs: number) {
    this.timeoutMs = timeoutMs
    this.lastSend = sentAt
    this.lastRecv = now
    this.lastAckedSend = Math.max(this.lastAckedSend, sentAt)
    this.pingSentAt = undefined
  }

  sent(now: number) {
    this.lastSend = now
  }

  pingSent(now: number) {
    this.lastSend = now
    this.pingSentAt = now
  }

  received(now: number) {
    this.lastRecv = now
  }

  /** The server answered a request sent at `sentAt` (a ping when undefined). */
  acked(sentAt: number | undefined) {
    const at = sentAt ?? this.pingSentAt
    if (sentAt === undefined) this.pingSentAt = undefined
    if (at !== undefined) this.lastAckedSend = Math.max(this.lastAckedSend, at)
  }

  /** How often to look at pingDue and readTimedOut: often enough that both are late by at most T/6. */
  get tickMs(): number {
    return Math.max(10, Math.floor(this.timeoutMs / 6))
  }

  pingDue(now: number): boolean {
    return this.pingSentAt === undefined && now - this.lastSend >= this.timeoutMs / 3
  }

  /** Nothing heard for 2T/3: the connection is dead even if TCP has not noticed (a frozen server, a partition). */
  readTimedOut(now: number): boolean {
    return now - this.lastRecv >= (this.timeoutMs * 2) / 3
  }

  /** When the session must be taken for expired if no server has taken the client back by then. */
  expiresAt(): number {
    return this.lastAckedSend + this.timeoutMs - this.timeoutMs / 20
  }
}

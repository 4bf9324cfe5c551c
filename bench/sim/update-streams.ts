// Reliable status updates as the real agent delivers them (docs/agent-protocol.md): per task, only the oldest
// unacknowledged update is in flight; newer ones wait behind it and the master hears of them through LATEST_STATE;
// the head is resent after 10 s, doubling to 10 min, until the ACKNOWLEDGE for its uuid comes back. Written apart
// from src/agent/status-update-manager.ts on purpose: the simulator is a test client of the protocol, not a copy of
// the agent, and keeps no checkpoint.

import type { StatusUpdate } from '../../src/core/agent-protocol.ts'
import type { TaskStatus } from '../../src/core/v1/messages.ts'

const RETRY_MIN_MS = 10_000
const RETRY_MAX_MS = 600_000

interface Stream {
  frameworkId: string
  taskId: string
  queue: TaskStatus[]
  sentAt: number
  backoff: number
}

export interface UpdateSink {
  update(u: StatusUpdate): void
  latest(frameworkId: string, taskId: string, state: TaskStatus['state']): void
}

export class UpdateStreams {
  private readonly streams = new Map<string, Stream>()
  retries = 0
  /** Of the last acknowledgement that matched: ms from the (last) sending of the update to its ACKNOWLEDGE. */
  lastRoundTripMs = NaN

  constructor(private readonly sink: UpdateSink) {}

  get pending(): number { return this.streams.size }

  /** Queues a stamped status (it must carry its uuid); sends it now if nothing of the task is in flight. */
  push(frameworkId: string, status: TaskStatus, now: number): void {
    const key = frameworkId + '/' + status.task_id.value
    let s = this.streams.get(key)
    if (!s) {
      s = { frameworkId, taskId: status.task_id.value, queue: [status], sentAt: now, backoff: RETRY_MIN_MS }
      this.streams.set(key, s)
      this.sendHead(s, now)
      return
    }
    s.queue.push(status)
    this.sink.latest(frameworkId, s.taskId, status.state)
  }

  /** Returns the acknowledged status when `uuid` matched the head (the next one is then sent), else undefined. */
  acknowledge(frameworkId: string, taskId: string, uuid: string, now: number): TaskStatus | undefined {
    const key = frameworkId + '/' + taskId
    const s = this.streams.get(key)
    const head = s?.queue[0]
    if (!s || !head || head.uuid !== uuid) return undefined
    this.lastRoundTripMs = now - s.sentAt
    s.queue.shift()
    s.backoff = RETRY_MIN_MS
    if (s.queue.length) this.sendHead(s, now)
    else this.streams.delete(key)
    return head
  }

  /** Drops a framework's queued updates (SHUTDOWN_FRAMEWORK). */
  dropFramework(frameworkId: string): void {
    for (const [key, s] of this.streams) if (s.frameworkId === frameworkId) this.streams.delete(key)
  }

  /** The framework re-subscribed (UPDATE_FRAMEWORK): its heads go out again now, with a fresh backoff. */
  resendFramework(frameworkId: string, now: number): void {
    for (const s of this.streams.values()) {
      if (s.frameworkId !== frameworkId) continue
      s.backoff = RETRY_MIN_MS
      this.sendHead(s, now)
    }
  }

  /** The agent re-registered (with a new leader, say): every head goes out again now, with a fresh backoff. */
  resendAll(now: number): void {
    for (const s of this.streams.values()) {
      s.backoff = RETRY_MIN_MS
      this.sendHead(s, now)
    }
  }

  /** Resends heads whose acknowledgement is overdue; called from one process-wide sweep, not a timer per task. */
  retryDue(now: number): void {
    for (const s of this.streams.values()) {
      if (now - s.sentAt < s.backoff) continue
      s.backoff = Math.min(s.backoff * 2, RETRY_MAX_MS)
      this.retries++
      this.sendHead(s, now)
    }
  }

  private sendHead(s: Stream, now: number): void {
    s.sentAt = now
    this.sink.update({ framework_id: s.frameworkId, status: s.queue[0]!, latest_state: s.queue[s.queue.length - 1]!.state })
  }
}

// Reliable, ordered status updates, as upstream Mesos' src/slave/task_status_update_manager.cpp does them: every
// update is checkpointed before it is sent; per task, only the oldest unacknowledged update is in flight; it is
// retried with backoff (10 s doubling to 10 min: STATUS_UPDATE_RETRY_INTERVAL_MIN/MAX in src/slave/constants.hpp)
// until the framework's acknowledgement for its uuid comes back through the master (docs/agent-protocol.md).

import type { StatusUpdate } from '../core/agent-protocol.ts'
import { newUpdateUuid } from '../core/ids.ts'
import { logger } from '../core/log.ts'
import type { TaskStatus } from '../core/v1/messages.ts'
import type { Checkpoint, UpdateRow } from './checkpoint.ts'

const log = logger('status-update-manager')

export const RETRY_MIN_MS = 10_000
export const RETRY_MAX_MS = 600_000

interface Stream {
  frameworkId: string
  taskId: string
  items: UpdateRow[]
  timer?: ReturnType<typeof setTimeout>
  backoff: number
}

export class StatusUpdateManager {
  private streams = new Map<string, Stream>()
  private paused = true

  constructor(
    private readonly checkpoint: Checkpoint,
    private readonly forward: (u: StatusUpdate) => boolean,
    private readonly latest: (frameworkId: string, taskId: string, state: TaskStatus['state']) => void = () => {},
    private readonly retry = { min: RETRY_MIN_MS, max: RETRY_MAX_MS },
  ) {}

  /** Reloads unacknowledged updates after an agent restart. */
  recover() {
    for (const row of this.checkpoint.pendingUpdates()) this.stream(row.frameworkId, row.taskId).items.push(row)
    if (this.streams.size) log.info(`Recovered ${[...this.streams.values()].reduce((n, s) => n + s.items.length, 0)} unacknowledged status update(s)`)
  }

  private stream(frameworkId: string, taskId: string): Stream {
    const key = `${frameworkId}/${taskId}`
    let s = this.streams.get(key)
    if (!s) { s = { frameworkId, taskId, items: [], backoff: this.retry.min }; this.streams.set(key, s) }
    return s
  }

  /** Checkpoints and queues an update; the status gets a fresh uuid. Returns the stamped status. */
  update(frameworkId: string, status: TaskStatus): TaskStatus {
    const stamped: TaskStatus = { ...status, uuid: status.uuid ?? newUpdateUuid(), timestamp: status.timestamp ?? Date.now() / 1000 }
    const seq = this.checkpoint.addUpdate(frameworkId, stamped.task_id.value, stamped.uuid!, stamped)
    const s = this.stream(frameworkId, stamped.task_id.value)
    s.items.push({ seq, frameworkId, taskId: stamped.task_id.value, uuid: stamped.uuid!, status: stamped })
    // Later updates wait behind the head; they reach the scheduler after it is acknowledged (strict per-task
    // order), but the master learns the newest state right away.
    if (s.items.length === 1) this.sendHead(s)
    else if (!this.paused) this.checkpoint.afterCommit(() => this.latest(frameworkId, stamped.task_id.value, stamped.state))
    return stamped
  }

  /**
   * The framework acknowledged `uuid`. Returns the acknowledged status when it matched the head of the stream
   * (the caller then knows whether a terminal update has been delivered), else undefined.
   */
  acknowledge(frameworkId: string, taskId: string, uuid: string): TaskStatus | undefined {
    const s = this.streams.get(`${frameworkId}/${taskId}`)
    const head = s?.items[0]
    if (!s || !head) return undefined
    if (head.uuid !== uuid) {
      log.warn(`Ignoring unexpected acknowledgement ${uuid} for task ${taskId} of framework ${frameworkId} (expected ${head.uuid})`)
      return undefined
    }
    this.checkpoint.removeUpdate(head.seq)
    s.items.shift()
    clearTimeout(s.timer)
    s.timer = undefined
    s.backoff = this.retry.min
    if (s.items.length) this.sendHead(s)
    else this.streams.delete(`${frameworkId}/${taskId}`)
    return head.status
  }

  /** Stops sending (no master connection); queued updates stay checkpointed. */
  pause() {
    this.paused = true
    for (const s of this.streams.values()) { clearTimeout(s.timer); s.timer = undefined }
  }

  /** (Re)sends every stream head now, e.g. after (re-)registering with a master or a framework re-subscribing. */
  resume(frameworkId?: string) {
    this.paused = false
    for (const s of this.streams.values()) {
      if (frameworkId && s.frameworkId !== frameworkId) continue
      clearTimeout(s.timer)
      s.timer = undefined
      s.backoff = this.retry.min
      this.sendHead(s)
    }
  }

  hasPending(frameworkId: string, taskId: string): boolean {
    return (this.streams.get(`${frameworkId}/${taskId}`)?.items.length ?? 0) > 0
  }

  pendingFor(frameworkId: string, taskId: string): TaskStatus[] {
    return (this.streams.get(`${frameworkId}/${taskId}`)?.items ?? []).map(i => i.status)
  }

  /** Drops every queued update of a framework (it was removed). */
  removeFramework(frameworkId: string) {
    for (const [key, s] of this.streams) {
      if (s.frameworkId !== frameworkId) continue
      clearTimeout(s.timer)
      for (const i of s.items) this.checkpoint.removeUpdate(i.seq)
      this.streams.delete(key)
    }
  }

  stop() { for (const s of this.streams.values()) clearTimeout(s.timer) }

  private sendHead(s: Stream) {
    if (this.paused) return
    const head = s.items[0]
    if (!head) return
    // latest_state lets the master release a finished task's resources on a retry even before older updates are acked.
    const latest = s.items[s.items.length - 1]!.status.state
    // Checkpointed before it is forwarded: the write may still be in this turn's group commit (checkpoint.ts).
    this.checkpoint.afterCommit(() => {
      if (!this.paused && s.items[0] === head) this.forward({ framework_id: s.frameworkId, status: head.status, latest_state: latest })
    })
    clearTimeout(s.timer)
    const delay = s.backoff
    s.backoff = Math.min(s.backoff * 2, this.retry.max)
    s.timer = setTimeout(() => { s.timer = undefined; this.sendHead(s) }, delay)
  }
}

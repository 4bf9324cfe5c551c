// A minimal v1 scheduler client over the public HTTP API (what `meso task run` uses): SUBSCRIBE, read RecordIO
// events, send calls with the Mesos-Stream-Id, acknowledge updates that carry a uuid.

import { RecordIODecoder } from '../core/recordio.ts'
import type { FrameworkInfo, Offer, TaskStatus } from '../core/v1/messages.ts'
import { CliError, errorText, request } from './cluster.ts'
import { EXIT } from './exit-codes.ts'

export interface SchedulerEvent {
  type: string
  subscribed?: { framework_id: { value: string }; heartbeat_interval_seconds?: number }
  offers?: { offers?: Offer[] }
  rescind?: { offer_id: { value: string } }
  update?: { status: TaskStatus }
  error?: { message: string }
  failure?: unknown
  message?: unknown
}

/** How long a client whose event stream broke keeps trying to re-subscribe (a master failover takes seconds). */
const RESUBSCRIBE_WINDOW_MS = 30_000
const RESUBSCRIBE_PAUSE_MS = 250

export class SchedulerClient {
  frameworkId?: string
  private streamId?: string
  private abort = new AbortController()
  private closed = false
  private ended = false

  /**
   * `relocate` finds the leading master again after the stream broke (client/master-detection.ts, for a zk:// master);
   * without it the client re-subscribes where it was, which a restarted master or a standby's 307 answers.
   */
  constructor(private master: string, private readonly relocate: () => Promise<string | undefined> = async () => undefined) {}

  /**
   * Subscribes and calls `onEvent` for every event until `close()`. A stream that breaks (the master died, failed
   * over, restarted) is re-subscribed with the framework's id, as a Mesos scheduler does; only when that fails for
   * RESUBSCRIBE_WINDOW_MS does `onEvent` get an ERROR.
   */
  async subscribe(info: FrameworkInfo, onEvent: (e: SchedulerEvent) => void | Promise<void>): Promise<void> {
    await this.open(info, onEvent)
  }

  private async open(info: FrameworkInfo, onEvent: (e: SchedulerEvent) => void | Promise<void>): Promise<void> {
    const res = await request(`${this.master}/api/v1/scheduler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: info } }),
      signal: this.abort.signal,
    })
    if (res.status !== 200) throw new CliError(`subscribing to ${this.master} failed: ${await errorText(res)}`, EXIT.LAUNCH_FAILED)
    // A standby answered 307 and fetch followed it: talk to the leader from now on.
    if (res.redirected && res.url) this.master = new URL(res.url).origin
    this.streamId = res.headers.get('mesos-stream-id') ?? undefined
    const dec = new RecordIODecoder()
    const reader = res.body!.getReader()
    const text = new TextDecoder()
    void (async () => {
      let broke: string
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          for (const rec of dec.push(value)) {
            const event = JSON.parse(text.decode(rec)) as SchedulerEvent
            if (event.type === 'SUBSCRIBED') this.frameworkId = event.subscribed!.framework_id.value
            // The master ended this framework (removed, failed over to another instance): nothing to come back to.
            if (event.type === 'ERROR') this.ended = true
            await onEvent(event)
          }
        }
        broke = 'the master closed the event stream'
      } catch (err) {
        broke = `event stream broke: ${(err as Error).message}`
      }
      if (this.closed || this.ended) return
      if (this.frameworkId && await this.resubscribe({ ...info, id: { value: this.frameworkId } }, onEvent)) return
      if (!this.closed) await onEvent({ type: 'ERROR', error: { message: broke } })
    })()
  }

  private async resubscribe(info: FrameworkInfo, onEvent: (e: SchedulerEvent) => void | Promise<void>): Promise<boolean> {
    const deadline = Date.now() + RESUBSCRIBE_WINDOW_MS
    while (!this.closed && Date.now() < deadline) {
      await Bun.sleep(RESUBSCRIBE_PAUSE_MS)
      const moved = await this.relocate().catch(() => undefined)
      if (moved) this.master = moved
      try {
        await this.open(info, onEvent)
        return true
      } catch { /* not back yet */ }
    }
    return false
  }

  async call(type: string, body: Record<string, unknown> = {}): Promise<void> {
    if (!this.frameworkId || !this.streamId) throw new CliError(`cannot send ${type}: not subscribed`)
    const res = await request(`${this.master}/api/v1/scheduler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': this.streamId },
      body: JSON.stringify({ type, framework_id: { value: this.frameworkId }, ...body }),
    })
    if (res.status !== 202 && res.status !== 200) throw new CliError(`${type} failed: ${await errorText(res)}`)
  }

  async acknowledge(status: TaskStatus) {
    if (!status.uuid || !status.agent_id) return
    await this.call('ACKNOWLEDGE', { acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } })
  }

  close() {
    this.closed = true
    this.abort.abort()
  }
}

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

export class SchedulerClient {
  frameworkId?: string
  private streamId?: string
  private abort = new AbortController()
  private closed = false

  constructor(private readonly master: string) {}

  /** Subscribes and calls `onEvent` for every event until the stream ends or `close()` is called. */
  async subscribe(info: FrameworkInfo, onEvent: (e: SchedulerEvent) => void | Promise<void>): Promise<void> {
    const res = await request(`${this.master}/api/v1/scheduler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: info } }),
      signal: this.abort.signal,
    })
    if (res.status !== 200) throw new CliError(`subscribing to ${this.master} failed: ${await errorText(res)}`, EXIT.LAUNCH_FAILED)
    this.streamId = res.headers.get('mesos-stream-id') ?? undefined
    const dec = new RecordIODecoder()
    const reader = res.body!.getReader()
    const text = new TextDecoder()
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          for (const rec of dec.push(value)) {
            const event = JSON.parse(text.decode(rec)) as SchedulerEvent
            if (event.type === 'SUBSCRIBED') this.frameworkId = event.subscribed!.framework_id.value
            await onEvent(event)
          }
        }
      } catch (err) {
        if (!this.closed) await onEvent({ type: 'ERROR', error: { message: `event stream broke: ${(err as Error).message}` } })
        return
      }
      if (!this.closed) await onEvent({ type: 'ERROR', error: { message: 'the master closed the event stream' } })
    })()
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

// A scheduler on the real v1 scheduler API (JSON): SUBSCRIBE opens the RecordIO event stream, every other call is
// a pipelined POST carrying the Mesos-Stream-Id. Independent of meso's own client code (src/client/), so the
// benchmark drives the public wire format, as a third-party framework would.

import { RecordIODecoder } from '../../src/core/recordio.ts'
import { HttpPipeline } from './http-pipeline.ts'

export interface SchedulerEvent { type: string; [k: string]: any }

export class V1Scheduler {
  frameworkId = ''
  streamId = ''
  callErrors = 0
  lastError = ''
  private readonly abort = new AbortController()
  private readonly http: HttpPipeline
  private readonly headers: Record<string, string> = { 'Content-Type': 'application/json' }

  constructor(readonly master: string, private readonly onEvent: (e: SchedulerEvent) => void, connections = 4) {
    this.http = HttpPipeline.forUrl(master, connections)
  }

  /** Subscribes and resolves once SUBSCRIBED has arrived; events keep flowing to `onEvent`. */
  async subscribe(frameworkInfo: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${this.master}/api/v1/scheduler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo } }),
      signal: this.abort.signal,
    })
    if (res.status !== 200) throw new Error(`SUBSCRIBE → ${res.status}: ${await res.text()}`)
    this.streamId = res.headers.get('mesos-stream-id') ?? ''
    this.headers['Mesos-Stream-Id'] = this.streamId
    let subscribed!: () => void
    const ready = new Promise<void>(r => { subscribed = r })
    void this.read(res.body!, e => {
      if (e.type === 'SUBSCRIBED') { this.frameworkId = e.subscribed.framework_id.value; subscribed() }
    })
    await ready
  }

  /** Sends a call; failures are counted (a benchmark reports them) rather than thrown. */
  call(type: string, body: Record<string, unknown> = {}): Promise<number> {
    const payload = JSON.stringify({ type, framework_id: { value: this.frameworkId }, ...body })
    return this.http.post('/api/v1/scheduler', this.headers, payload).then(r => {
      if (r.status !== 202 && r.status !== 200) { this.callErrors++; this.lastError = `${type} → ${r.status}: ${r.body.slice(0, 200)}` }
      return r.status
    }, (err: Error) => { this.callErrors++; this.lastError = `${type}: ${err.message}`; return 0 })
  }

  get callsInFlight(): number { return this.http.inFlight }

  close(): void {
    this.abort.abort()
    this.http.close()
  }

  private async read(body: ReadableStream<Uint8Array>, first: (e: SchedulerEvent) => void): Promise<void> {
    try {
      for await (const e of schedulerEvents(body)) {
        first(e)
        this.onEvent(e)
      }
    } catch { /* aborted */ }
  }
}

/** The events of a SUBSCRIBE stream (RecordIO-framed JSON), as they arrive. */
export async function* schedulerEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SchedulerEvent> {
  const dec = new RecordIODecoder()
  const text = new TextDecoder()
  for await (const chunk of body) {
    for (const rec of dec.push(chunk)) yield JSON.parse(text.decode(rec)) as SchedulerEvent
  }
}

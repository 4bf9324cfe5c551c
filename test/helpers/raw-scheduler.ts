// A test scheduler speaking raw HTTP and RecordIO, written independently of meso's own client code so that the
// wire format itself is what gets tested.

export interface Event { type: string; [k: string]: any }

export class RawScheduler {
  events: Event[] = []
  streamId = ''
  frameworkId = ''
  status = 0
  headers = new Headers()
  private waiters: { pred: (e: Event) => boolean; resolve: (e: Event) => void }[] = []
  private abort = new AbortController()
  chunks: string[] = []
  private acked = new Set<string>()

  /** autoAck: acknowledge every update carrying a uuid as soon as it arrives, as real schedulers do. */
  constructor(readonly master: string, readonly autoAck = true) {}

  async subscribe(frameworkInfo: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Event> {
    const res = await fetch(`${this.master}/api/v1/scheduler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo, ...extra } }),
      signal: this.abort.signal,
    })
    this.status = res.status
    this.headers = res.headers
    if (res.status !== 200) throw new Error(`SUBSCRIBE → ${res.status}: ${await res.text()}`)
    this.streamId = res.headers.get('mesos-stream-id') ?? ''
    void this.read(res.body!)
    const sub = await this.next(e => e.type === 'SUBSCRIBED')
    this.frameworkId = sub.subscribed.framework_id.value
    return sub
  }

  private async read(body: ReadableStream<Uint8Array>) {
    let buf = Buffer.alloc(0)
    try {
      for await (const chunk of body) {
        this.chunks.push(Buffer.from(chunk).toString())
        buf = Buffer.concat([buf, Buffer.from(chunk)])
        for (;;) {
          const nl = buf.indexOf(10)
          if (nl < 0) break
          const len = Number(buf.subarray(0, nl).toString())
          if (buf.length < nl + 1 + len) break
          const event = JSON.parse(buf.subarray(nl + 1, nl + 1 + len).toString()) as Event
          buf = buf.subarray(nl + 1 + len)
          this.events.push(event)
          if (this.autoAck && event.type === 'UPDATE' && event.update.status.uuid) void this.ack(event.update.status).catch(() => {})
          for (const w of [...this.waiters]) if (w.pred(event)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(event) }
        }
      }
    } catch { /* aborted */ }
  }

  /** The next event matching pred (including ones already received after `since`). */
  next(pred: (e: Event) => boolean, timeoutMs = 20_000, since = 0): Promise<Event> {
    const seen = this.events.slice(since).find(pred)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const w = { pred, resolve }
      this.waiters.push(w)
      setTimeout(() => { const i = this.waiters.indexOf(w); if (i >= 0) { this.waiters.splice(i, 1); reject(new Error(`no matching event within ${timeoutMs}ms; got: ${this.events.map(e => e.type).join(',')}`)) } }, timeoutMs)
    })
  }

  /** Waits for a matching event that arrives after now. */
  nextNew(pred: (e: Event) => boolean, timeoutMs = 20_000): Promise<Event> {
    return this.next(pred, timeoutMs, this.events.length)
  }

  async call(type: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.master}/api/v1/scheduler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Mesos-Stream-Id': this.streamId, ...headers },
      body: JSON.stringify({ type, framework_id: { value: this.frameworkId }, ...body }),
    })
  }

  async ack(status: any) {
    if (!status.uuid || this.acked.has(status.uuid)) return
    this.acked.add(status.uuid)
    const r = await this.call('ACKNOWLEDGE', { acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } })
    if (r.status !== 202) throw new Error(`ACKNOWLEDGE → ${r.status}: ${await r.text()}`)
  }

  updates(taskId: string): any[] {
    return this.events.filter(e => e.type === 'UPDATE' && e.update.status.task_id.value === taskId).map(e => e.update.status)
  }

  close() { this.abort.abort() }
}

export const frameworkInfo = (name = 'test-framework', extra: Record<string, unknown> = {}) => ({
  user: 'root', name, roles: ['*'], checkpoint: true, failover_timeout: 3600,
  capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }], ...extra,
})

export function commandTask(id: string, agentId: string, cmd: string, res = { cpus: 0.1, mem: 16 }): Record<string, unknown> {
  return {
    name: id, task_id: { value: id }, agent_id: { value: agentId },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: res.cpus }, allocation_info: { role: '*' } },
      { name: 'mem', type: 'SCALAR', scalar: { value: res.mem }, allocation_info: { role: '*' } },
    ],
    command: { value: cmd },
  }
}

/**
 * Opens a raw TCP connection, sends one HTTP request and returns the chunk payloads of the chunked response as
 * they were framed on the wire (fetch would hide chunk boundaries).
 */
export async function rawChunks(url: string, path: string, body: string, wantChunks: number, timeoutMs = 5000): Promise<{ head: string; chunks: string[] }> {
  const u = new URL(url)
  let data = Buffer.alloc(0)
  let done!: () => void
  const finished = new Promise<void>(r => { done = r })
  const parse = () => {
    const headEnd = data.indexOf('\r\n\r\n')
    if (headEnd < 0) return undefined
    const chunks: string[] = []
    let pos = headEnd + 4
    for (;;) {
      const lineEnd = data.indexOf('\r\n', pos)
      if (lineEnd < 0) break
      const size = parseInt(data.subarray(pos, lineEnd).toString(), 16)
      if (data.length < lineEnd + 2 + size + 2) break
      chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size).toString())
      pos = lineEnd + 2 + size + 2
    }
    return { head: data.subarray(0, headEnd).toString(), chunks }
  }
  const sock = await Bun.connect({
    hostname: u.hostname, port: Number(u.port),
    socket: { data(_s, d) { data = Buffer.concat([data, Buffer.from(d)]); if ((parse()?.chunks.length ?? 0) >= wantChunks) done() } },
  })
  sock.write(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  await Promise.race([finished, Bun.sleep(timeoutMs)])
  sock.end()
  return parse() ?? { head: '', chunks: [] }
}

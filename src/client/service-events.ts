// The /v2/events stream as Marathon serves it: server-sent events (`event: deployment_success`, `data: {...}`,
// a blank line ending each), parsed incrementally from whatever chunks the connection delivers. The parser is pure;
// readServiceEvents adapts a response body to it.

export interface ServiceEvent {
  /** The SSE event name, else the `eventType` of the data (Marathon sends both; either may be missing). */
  type: string
  data: Record<string, unknown>
}

/** A single event larger than this is dropped whole rather than buffered without bound. */
const MAX_EVENT_CHARS = 1 << 20

export class SseParser {
  private buffer = ''
  private name = ''
  private data: string[] = []
  private dataChars = 0
  private oversized = false

  /** Feeds `chunk`; returns the events it completed. */
  push(chunk: string): ServiceEvent[] {
    this.buffer += chunk
    const out: ServiceEvent[] = []
    let nl: number
    while ((nl = this.buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.buffer.slice(0, nl)
      const sep = this.buffer.startsWith('\r\n', nl) ? 2 : 1
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (sep === 1 && this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break
      this.buffer = this.buffer.slice(nl + sep)
      const event = this.line(line)
      if (event) out.push(event)
    }
    if (this.buffer.length > MAX_EVENT_CHARS) { this.buffer = ''; this.oversized = true }
    return out
  }

  private line(line: string): ServiceEvent | undefined {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return undefined // a comment: Marathon's keep-alives
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.name = value
    else if (field === 'data') {
      this.dataChars += value.length
      if (this.dataChars > MAX_EVENT_CHARS) this.oversized = true
      else this.data.push(value)
    }
    return undefined
  }

  private dispatch(): ServiceEvent | undefined {
    const name = this.name
    const text = this.data.join('\n')
    const oversized = this.oversized
    this.name = ''
    this.data = []
    this.dataChars = 0
    this.oversized = false
    if (oversized || !text) return undefined
    let data: unknown
    try { data = JSON.parse(text) } catch { return undefined }
    if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined
    const d = data as Record<string, unknown>
    const type = name && name !== 'message' ? name : typeof d.eventType === 'string' ? d.eventType : ''
    return type ? { type, data: d } : undefined
  }
}

/** The events of an SSE response body, until it ends (or its signal aborts). */
export async function* readServiceEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServiceEvent> {
  const parser = new SseParser()
  const decoder = new TextDecoder()
  for await (const chunk of body) {
    for (const e of parser.push(decoder.decode(chunk, { stream: true }))) yield e
  }
}

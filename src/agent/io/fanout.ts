// Many readers of one container's output: every subscriber gets what arrives after it subscribed.

export type OutputListener = (stream: 'stdout' | 'stderr', data: Uint8Array) => void

export class OutputFanout {
  private listeners = new Set<{ fn: OutputListener; onEnd: () => void }>()
  private ended = false

  subscribe(fn: OutputListener, onEnd: () => void): () => void {
    if (this.ended) { queueMicrotask(onEnd); return () => {} }
    const l = { fn, onEnd }
    this.listeners.add(l)
    return () => { this.listeners.delete(l) }
  }

  emit(stream: 'stdout' | 'stderr', data: Uint8Array) {
    for (const l of this.listeners) l.fn(stream, data)
  }

  end() {
    if (this.ended) return
    this.ended = true
    for (const l of this.listeners) l.onEnd()
    this.listeners.clear()
  }

  get isEnded(): boolean { return this.ended }
  get size(): number { return this.listeners.size }
}

// The "waiting: …" line `meso task run` shows on stderr while no agent has room for its task. On a terminal: one
// line with a spinner and the seconds waited, redrawn in place and erased once the task is placed. Elsewhere (a
// pipe, a log file): one plain line each time the reason changes, never a stream of repeats.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/**
 * How long a placement may take before the line appears, so that a normal launch shows nothing: a second on a
 * terminal; five elsewhere, where scripts read stderr and a task waiting briefly for a finished one's resources is
 * not worth a line.
 */
export function waitingLineDelayMs(out: { isTTY?: boolean } = process.stderr): number {
  return out.isTTY ? 1000 : 5000
}

export interface WaitingOutput {
  isTTY?: boolean
  columns?: number
  write(s: string): unknown
}

export class WaitingLine {
  private reason?: string
  private printed?: string
  private frame = 0
  private timer?: ReturnType<typeof setInterval>
  private drawn = false
  private readonly start = Date.now()

  constructor(private readonly out: WaitingOutput = process.stderr) {}

  /** The current reason; shown at once (the caller waits waitingLineDelayMs() before the first call). */
  show(reason: string) {
    this.reason = reason
    if (!this.out.isTTY) {
      if (reason !== this.printed) this.out.write(`waiting: ${reason}\n`)
      this.printed = reason
      return
    }
    this.draw()
    this.timer ??= setInterval(() => this.draw(), 100)
    this.timer.unref?.()
  }

  /** Erases the line (terminal) and stops redrawing. */
  stop() {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    if (this.drawn) this.out.write('\r\x1b[K')
    this.drawn = false
  }

  private draw() {
    if (this.reason === undefined) return
    const secs = Math.floor((Date.now() - this.start) / 1000)
    let line = `${FRAMES[this.frame++ % FRAMES.length]} waiting: ${this.reason} (${secs}s)`
    const width = this.out.columns ?? 0
    if (width > 1 && line.length > width - 1) line = `${line.slice(0, width - 2)}…`
    this.out.write(`\r\x1b[K${line}`)
    this.drawn = true
  }
}

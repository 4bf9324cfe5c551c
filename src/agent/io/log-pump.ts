// Containers started with a TTY or stdin log through conmon's k8s-file log (`<RFC3339Nano> <stdout|stderr> <F|P>
// <text>`); the pump copies it into the sandbox's stdout and stderr files, so `task logs` and /files work the same
// for every task. It remembers its offset in a file next to the log, so a restarted agent continues where it was.

import { appendFileSync, closeSync, existsSync, openSync, readFileSync, readSync, statSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Parses complete k8s-file lines; returns the bytes consumed (an incomplete last line waits for more). */
export function parseK8sLog(text: string): { entries: { stream: 'stdout' | 'stderr'; text: string }[]; consumed: number } {
  const entries: { stream: 'stdout' | 'stderr'; text: string }[] = []
  let consumed = 0
  let pos = 0
  for (;;) {
    const nl = text.indexOf('\n', pos)
    if (nl < 0) break
    const line = text.slice(pos, nl)
    consumed += Buffer.byteLength(line) + 1
    pos = nl + 1
    const m = /^\S+ (stdout|stderr) ([FP]) ?(.*)$/s.exec(line)
    if (!m) continue
    // F: the line ended with a newline in the original stream; P: a partial line (no newline yet).
    entries.push({ stream: m[1] as 'stdout' | 'stderr', text: m[2] === 'F' ? `${m[3]}\n` : m[3]! })
  }
  return { entries, consumed }
}

export class LogPump {
  private offset: number
  private watcher?: ReturnType<typeof watch>
  private timer?: ReturnType<typeof setInterval>
  private readonly offsetFile: string

  constructor(private readonly logPath: string, private readonly sandbox: string) {
    this.offsetFile = `${logPath}.offset`
    this.offset = existsSync(this.offsetFile) ? Number(readFileSync(this.offsetFile, 'utf8')) || 0 : 0
  }

  start() {
    try { this.watcher = watch(this.logPath, () => this.pump()) } catch { /* not there yet: the poll catches up */ }
    this.timer = setInterval(() => this.pump(), 500)
    this.pump()
  }

  /** Copies everything new; call once more after the container exited to drain the tail. */
  pump() {
    let size: number
    try { size = statSync(this.logPath).size } catch { return }
    if (size <= this.offset) return
    const fd = openSync(this.logPath, 'r')
    let text: string
    try {
      const buf = Buffer.alloc(size - this.offset)
      readSync(fd, buf, 0, buf.length, this.offset)
      text = buf.toString('utf8')
    } finally {
      closeSync(fd)
    }
    const { entries, consumed } = parseK8sLog(text)
    if (!consumed) return
    let out = '', err = ''
    for (const e of entries) { if (e.stream === 'stdout') out += e.text; else err += e.text }
    if (out) appendFileSync(join(this.sandbox, 'stdout'), out)
    if (err) appendFileSync(join(this.sandbox, 'stderr'), err)
    this.offset += consumed
    writeFileSync(this.offsetFile, String(this.offset))
  }

  stop() {
    this.watcher?.close()
    clearInterval(this.timer)
    this.pump()
  }
}

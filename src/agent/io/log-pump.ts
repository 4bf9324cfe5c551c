// Containers started with a TTY or stdin log through conmon's k8s-file log (`<RFC3339Nano> <stdout|stderr> <F|P>
// <text>`); the pump copies it into the sandbox's stdout and stderr files, so `task logs` and /files work the same
// for every task, rotated like every other sandbox log (logrotate.ts). It remembers its offset in a file next to the
// log, so a restarted agent continues where it was. conmon bounds ctr.log itself (--log-size-max): it replaces the
// file with an empty one, which the pump notices by its inode.

import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LogRotation } from './logrotate-policy.ts'
import { RotatingFile } from './rotating-file.ts'

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
  private offset = 0
  /** The inode of ctr.log the offset belongs to: conmon replaces the file when it reaches --log-size-max. */
  private ino = 0
  /** ctr.log held open, so that the tail of a replaced file can still be read after conmon renamed over it. */
  private fd = -1
  private watcher?: ReturnType<typeof watch>
  private timer?: ReturnType<typeof setInterval>
  private readonly offsetFile: string
  private readonly out: Record<'stdout' | 'stderr', RotatingFile>

  constructor(private readonly logPath: string, sandbox: string, rot?: LogRotation) {
    this.offsetFile = `${logPath}.offset`
    // "<offset> <inode>"; a bare number was written before conmon's log could be replaced.
    const saved = existsSync(this.offsetFile) ? readFileSync(this.offsetFile, 'utf8').trim().split(' ') : []
    this.offset = Number(saved[0]) || 0
    this.ino = Number(saved[1]) || 0
    this.out = { stdout: new RotatingFile(join(sandbox, 'stdout'), rot), stderr: new RotatingFile(join(sandbox, 'stderr'), rot) }
  }

  start() {
    try { this.watcher = watch(this.logPath, () => this.pump()) } catch { /* not there yet: the poll catches up */ }
    this.timer = setInterval(() => this.pump(), 500)
    this.pump()
  }

  /** Copies everything new; call once more after the container exited to drain the tail. */
  pump() {
    let st: { ino: number }
    try { st = statSync(this.logPath) } catch { return }
    if (this.fd >= 0 && st.ino !== this.ino) {
      // Replaced: finish the old file through the descriptor still open on it, then start the new one at 0.
      this.copyFrom(this.fd)
      this.closeLog()
      this.offset = 0
    }
    if (this.fd < 0) {
      try { this.fd = openSync(this.logPath, 'r') } catch { return }
      const ino = fstatSync(this.fd).ino
      // Replaced while no agent was watching (a restart): what the old file still held is gone with it.
      if (ino !== this.ino && this.ino !== 0) this.offset = 0
      this.ino = ino
    }
    this.copyFrom(this.fd)
  }

  private copyFrom(fd: number) {
    const size = fstatSync(fd).size
    if (size < this.offset) this.offset = 0 // truncated in place
    if (size <= this.offset) return
    const buf = Buffer.alloc(size - this.offset)
    const n = readSync(fd, buf, 0, buf.length, this.offset)
    const { entries, consumed } = parseK8sLog(buf.subarray(0, n).toString('utf8'))
    if (!consumed) return
    const chunks: Record<'stdout' | 'stderr', string[]> = { stdout: [], stderr: [] }
    for (const e of entries) chunks[e.stream].push(e.text)
    for (const s of ['stdout', 'stderr'] as const) if (chunks[s].length) this.out[s].write(Buffer.from(chunks[s].join('')))
    this.offset += consumed
    writeFileSync(this.offsetFile, `${this.offset} ${this.ino}`)
  }

  private closeLog() {
    if (this.fd >= 0) { try { closeSync(this.fd) } catch { /* closed */ } }
    this.fd = -1
  }

  stop() {
    this.watcher?.close()
    clearInterval(this.timer)
    this.pump()
    this.closeLog()
    this.out.stdout.close()
    this.out.stderr.close()
  }
}

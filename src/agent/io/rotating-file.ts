// A sandbox log file the agent writes itself (the log pump of TTY/stdin containers), rotated by the rules of
// logrotate-policy.ts. The size is counted in memory, from the file's actual size when it is (re)opened, so a
// restarted agent continues filling the file it finds and hot output costs no stat per write.

import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { rotationChunks, rotationRenames, type LogRotation } from './logrotate-policy.ts'

export class RotatingFile {
  private fd = -1
  private size = 0

  constructor(readonly path: string, private readonly rot: LogRotation | undefined) {}

  write(data: Uint8Array) {
    if (!data.length) return
    this.open()
    if (!this.rot) { this.writeAll(data); return }
    const { rotateFirst, chunks } = rotationChunks(this.size, this.rot.maxSize, data.length)
    let off = 0
    chunks.forEach((n, i) => {
      if (i > 0 || rotateFirst) this.rotate()
      this.writeAll(data.subarray(off, off + n))
      off += n
    })
  }

  private open() {
    if (this.fd >= 0) return
    this.fd = openSync(this.path, 'a')
    this.size = fstatSync(this.fd).size
  }

  private writeAll(data: Uint8Array) {
    let off = 0
    while (off < data.length) off += writeSync(this.fd, data, off)
    this.size += data.length
  }

  private rotate() {
    this.close()
    for (const step of rotationRenames(this.path, this.rot!.maxFiles)) {
      try {
        if (step.to) renameSync(step.from, step.to)
        else rmSync(step.from, { force: true })
      } catch (err) {
        // An older file that does not exist yet is nothing to move.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    this.open()
  }

  close() {
    if (this.fd < 0) return
    try { closeSync(this.fd) } catch { /* closed */ }
    this.fd = -1
  }
}

// Reading a task's sandbox files through the agent's /files/read with offsets, as `mesos task log` does: the
// stdout/stderr of a command task are at /frameworks/<fid>/executors/<eid>/runs/latest/<file>; a task of a group has
// its own sandbox below its executor's, in tasks/<task id>/.

import type { Task } from '../core/v1/messages.ts'
import { CliError, request } from './cluster.ts'
import { agentOrigin } from './tls.ts'

export function sandboxPath(task: Pick<Task, 'framework_id' | 'executor_id' | 'task_id'>, file: string): string {
  const fid = task.framework_id.value
  const eid = task.executor_id?.value ?? task.task_id.value
  const base = `/frameworks/${fid}/executors/${eid}/runs/latest`
  return eid === task.task_id.value ? `${base}/${file}` : `${base}/tasks/${task.task_id.value}/${file}`
}

/** One sandbox file read incrementally; `read()` returns the new bytes (empty when nothing new or not there yet). */
export class SandboxFile {
  offset = 0
  constructor(private readonly agent: string, readonly path: string) {}

  private url(offset: number, length?: number) {
    return `${agentOrigin(this.agent)}/files/read?path=${encodeURIComponent(this.path)}&offset=${offset}${length !== undefined ? `&length=${length}` : ''}`
  }

  async size(): Promise<number | undefined> {
    const res = await request(this.url(-1)).catch(() => undefined)
    if (!res?.ok) return undefined
    return ((await res.json()) as { offset: number }).offset
  }

  async read(max = 65536): Promise<Buffer> {
    const chunks: Buffer[] = []
    for (;;) {
      const res = await request(this.url(this.offset, max)).catch(() => undefined)
      if (!res) break
      if (res.status === 404) break
      if (!res.ok) throw new CliError(`reading ${this.path} from ${this.agent} failed: ${res.status}`)
      const { data } = (await res.json()) as { data: string }
      if (!data) break
      const bytes = Buffer.from(data, 'utf8')
      this.offset += bytes.length
      chunks.push(bytes)
      if (bytes.length < max / 2) break
    }
    return Buffer.concat(chunks)
  }

  /** Positions the offset so that the next read returns the last `lines` lines. */
  async seekToLastLines(lines: number): Promise<void> {
    const size = await this.size()
    if (size === undefined) return
    let start = size
    let found = 0
    while (start > 0 && found <= lines) {
      const from = Math.max(0, start - 65536)
      const res = await request(this.url(from, start - from))
      const { data } = (await res.json()) as { data: string }
      const bytes = Buffer.from(data, 'utf8')
      for (let i = bytes.length - 1; i >= 0; i--) {
        if (bytes[i] === 10 && !(from + i === size - 1)) {
          found++
          if (found === lines) { this.offset = from + i + 1; return }
        }
      }
      start = from
    }
    this.offset = 0
  }
}

/**
 * Follows files, writing what appears to the given streams, until `stop()` (then drains). Polls are serialized
 * (two concurrent reads at the same offset would print the same bytes twice); the files of one poll are read at once.
 */
export class FileFollower {
  private timer?: ReturnType<typeof setTimeout>
  private running = false
  private stopped = false
  private inflight: Promise<unknown> = Promise.resolve()

  constructor(private readonly files: { file: SandboxFile; out: NodeJS.WritableStream }[], private readonly intervalMs = 50) {}

  start() {
    if (this.running) return
    this.running = true
    this.loop()
  }

  private loop() {
    if (this.stopped) return
    this.timer = setTimeout(async () => { await this.poll(); this.loop() }, this.intervalMs)
  }

  private poll(): Promise<void> {
    const next = this.inflight.then(async () => {
      const read = await Promise.all(this.files.map(f => f.file.read()))
      read.forEach((bytes, i) => { if (bytes.length) this.files[i]!.out.write(bytes) })
    })
    this.inflight = next.catch(() => {})
    return next
  }

  async stop() {
    this.stopped = true
    clearTimeout(this.timer)
    await this.poll()
  }
}

// Reading a task's sandbox files through the agent's /files/read with offsets, as `mesos task log` does: the
// stdout/stderr of a command task are at /frameworks/<fid>/executors/<eid>/runs/latest/<file>; a task of a group has
// its own sandbox below its executor's, in tasks/<task id>/.

import type { Task } from '../core/v1/messages.ts'
import { CliError, request } from './cluster.ts'
import { charAlignedTail, continuation } from './log-continuity.ts'
import { agentOrigin } from './tls.ts'

/** The most /files/read answers at once: 16 pages, in Mesos as in meso (core/files.ts MAX_READ). */
const MAX_READ = 16 * 4096

export function sandboxPath(task: Pick<Task, 'framework_id' | 'executor_id' | 'task_id'>, file: string): string {
  const fid = task.framework_id.value
  const eid = task.executor_id?.value ?? task.task_id.value
  const base = `/frameworks/${fid}/executors/${eid}/runs/latest`
  return eid === task.task_id.value ? `${base}/${file}` : `${base}/tasks/${task.task_id.value}/${file}`
}

/** One sandbox file read incrementally; `read()` returns the new bytes (empty when nothing new or not there yet). */
export class SandboxFile {
  offset = 0
  /** The last bytes read, to tell the file that was read from a rotated successor at the same path. */
  private tail: Buffer = Buffer.alloc(0)
  /** Told when output was rotated away before it could be read. */
  onGap?: (message: string) => void
  constructor(private readonly agent: string, readonly path: string) {}

  private url(offset: number, length?: number) { return this.urlOf(this.path, offset, length) }

  private urlOf(path: string, offset: number, length?: number) {
    return `${agentOrigin(this.agent)}/files/read?path=${encodeURIComponent(path)}&offset=${offset}${length !== undefined ? `&length=${length}` : ''}`
  }

  async size(): Promise<number | undefined> {
    const res = await request(this.url(-1)).catch(() => undefined)
    if (!res?.ok) return undefined
    return ((await res.json()) as { offset: number }).offset
  }

  /**
   * The new bytes. A log the agent rotated (same path, new file) is noticed by the bytes before the offset
   * (log-continuity.ts): the rest of the old file is read from `<path>.1`, then the new one from its start.
   */
  async read(max = 65536): Promise<Buffer> {
    const chunks: Buffer[] = []
    for (;;) {
      const k = this.offset > 0 ? this.tail.length : 0
      const bytes = await this.fetch(this.path, this.offset - k, max + k)
      if (!bytes) break
      let fresh = bytes
      if (k) {
        const c = continuation(this.tail, bytes)
        if (c.kind === 'rotated') {
          chunks.push(await this.restOfRotated())
          this.offset = 0
          this.tail = Buffer.alloc(0)
          continue
        }
        fresh = c.fresh
      }
      if (!fresh.length) break
      this.offset += fresh.length
      this.tail = charAlignedTail(this.tail, fresh)
      chunks.push(fresh)
      // The agent answers at most MAX_READ bytes a request (as Mesos does): a short answer is the end for now.
      if (fresh.length < Math.min(max, MAX_READ) / 2) break
    }
    return Buffer.concat(chunks)
  }

  /** Bytes of `path` at `offset`; undefined when it is not there (yet). */
  private async fetch(path: string, offset: number, length: number): Promise<Buffer | undefined> {
    const res = await request(this.urlOf(path, offset, length)).catch(() => undefined)
    if (!res || res.status === 404) return undefined
    if (!res.ok) throw new CliError(`reading ${path} from ${this.agent} failed: ${res.status}`)
    const { data } = (await res.json()) as { data: string }
    return Buffer.from(data, 'utf8')
  }

  /** After a rotation: what the old file got after our offset, if `<path>.1` is still that file. */
  private async restOfRotated(): Promise<Buffer> {
    const old = `${this.path}.1`
    const k = this.tail.length
    const first = await this.fetch(old, this.offset - k, 65536 + k)
    const c = first ? continuation(this.tail, first) : { kind: 'rotated' as const }
    if (c.kind === 'rotated') {
      this.onGap?.(`${this.path} was rotated more than once between two reads; some of its output was skipped`)
      return Buffer.alloc(0)
    }
    const chunks = [c.fresh]
    let offset = this.offset + c.fresh.length
    while (chunks.at(-1)!.length) {
      const more = await this.fetch(old, offset, 1 << 20)
      if (!more?.length) break
      chunks.push(more)
      offset += more.length
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

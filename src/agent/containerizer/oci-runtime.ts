// The OCI runtime CLI (crun, or runc via --oci_runtime) with meso's own state root, so meso's containers never mix
// with podman's or anyone else's.

import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export interface RuntimeResult { code: number; stdout: string; stderr: string }

export class OciRuntime {
  constructor(readonly binary: string, readonly root: string) {}

  async exec(args: string[]): Promise<RuntimeResult> {
    const p = Bun.spawn([this.binary, `--root=${this.root}`, ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    return { code, stdout, stderr: stderr.trim() }
  }

  async start(id: string) {
    if (this.startThroughFifo(id)) return
    const r = await this.exec(['start', id])
    if (r.code !== 0) throw new Error(`${this.name} start ${id} failed: ${r.stderr || `exit ${r.code}`}`)
  }

  /** Signals every process of the container (--all: through its cgroup; PID 1 of a pid namespace ignores SIGTERM otherwise). */
  async kill(id: string, signal: string): Promise<boolean> {
    return (await this.exec(['kill', '--all', id, signal.replace(/^SIG/, '')])).code === 0
  }

  async delete(id: string): Promise<void> {
    await this.exec(['delete', '--force', id])
  }

  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    const r = await this.exec(['state', id])
    if (r.code !== 0) return undefined
    try { return JSON.parse(r.stdout) } catch { return undefined }
  }

  async list(): Promise<string[]> {
    const r = await this.exec(['list', '--format=json'])
    if (r.code !== 0) return []
    try { return ((JSON.parse(r.stdout || '[]') as { id: string }[]) ?? []).map(c => c.id) } catch { return [] }
  }

  /**
   * What `crun start` does for a container without poststart hooks (meso sets none): the created container's init
   * blocks reading <root>/<id>/exec.fifo; unlinking the fifo and writing one byte to it lets it exec the process.
   * Doing it here saves a process start on every launch (~5–20 ms). Only for crun — runc's fifo runs the other way
   * (its init writes, `runc start` reads) — and only when a reader is there (O_NONBLOCK: ENXIO otherwise); anything
   * unexpected falls back to `<runtime> start`.
   */
  private startThroughFifo(id: string): boolean {
    if (this.name !== 'crun') return false
    const fifo = join(this.root, id, 'exec.fifo')
    let fd: number
    try { fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK) } catch { return false }
    try {
      try { unlinkSync(fifo) } catch { return false }
      // Past the unlink `crun start` could no longer find the fifo either, so a failed write is this start failing.
      try { writeSync(fd, new Uint8Array(1)) } catch (err) { throw new Error(`crun start ${id} failed: writing its exec fifo: ${(err as Error).message}`) }
      return true
    } finally {
      closeSync(fd)
    }
  }

  get name(): string { return this.binary.split('/').pop()! }
}

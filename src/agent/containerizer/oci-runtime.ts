// The OCI runtime CLI (crun, or runc via --oci_runtime) with meso's own state root, so meso's containers never mix
// with podman's or anyone else's.

export interface RuntimeResult { code: number; stdout: string; stderr: string }

export class OciRuntime {
  constructor(readonly binary: string, readonly root: string) {}

  async exec(args: string[]): Promise<RuntimeResult> {
    const p = Bun.spawn([this.binary, `--root=${this.root}`, ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    return { code, stdout, stderr: stderr.trim() }
  }

  async start(id: string) {
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

  get name(): string { return this.binary.split('/').pop()! }
}

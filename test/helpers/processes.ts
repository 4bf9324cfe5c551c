// Starting real meso processes for end-to-end tests: the compiled binary when it exists (what users run),
// else the sources with Bun. Every process is tracked and killed (by pid) when the suite ends, and so is every
// container left running under the suite's temp dirs (an agent killed with -9 leaves its containers up, by design):
// test/setup.ts, preloaded by bunfig.toml, calls killLeftovers. (bun test runs all files in one process, so an
// afterAll in this shared module would only ever fire for the first file that imports it.)

import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'

export const ROOT = resolve(import.meta.dir, '../..')
const BIN = join(ROOT, 'dist', 'meso')
export const MESO: string[] = existsSync(BIN) && !process.env.MESO_TEST_SOURCE ? [BIN] : [join(ROOT, 'node_modules', '.bin', 'bun'), join(ROOT, 'src', 'main.ts')]

const live = new Set<Subprocess>()
const dirs: string[] = []
/** The test file that started a process or made a temp dir (Bun.main while it loads and runs). */
const ownerOf = new Map<Subprocess | string, string>()

/** Kills every process these helpers started that is still running, and the containers left under temp dirs. */
export function killLeftovers() {
  killLeftoversOf(() => true)
}

/**
 * The same for what files other than `current` left: test/setup.ts calls it when the suite moves on to the next file,
 * so a task one file left running (a `meso up` killed with -9 leaves its tasks up, by design) cannot hold the ports
 * or answer the health checks of the next file's tasks.
 */
export function killLeftoversOf(isPast: (file: string | undefined) => boolean) {
  for (const p of live) {
    if (!isPast(ownerOf.get(p))) continue
    try { p.kill('SIGKILL') } catch { /* gone */ }
    live.delete(p)
    ownerOf.delete(p)
  }
  reapContainers(dirs.filter(d => isPast(ownerOf.get(d))))
}

function track(p: Subprocess) {
  live.add(p)
  ownerOf.set(p, Bun.main)
}

export function tempDir(prefix = 'meso-test-'): string {
  const dir = mkdtempSync(join(process.env.MESO_TEST_TMP ?? tmpdir(), prefix))
  dirs.push(dir)
  ownerOf.set(dir, Bun.main)
  return dir
}

/**
 * Deletes (with the OCI runtime, which also removes their cgroups) the containers whose conmon runs under `under`,
 * kills the agents' log rotators whose socket is there, and kills the posix launcher's tasks there: each runs in its
 * own session under a `meso-monitor` shell that outlives the agent by design, so nothing else ends them.
 */
export function reapContainers(under: string[]) {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    let argv: string[]
    try { argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') } catch { continue }
    // The agent's log rotator (src/agent/io/logrotate-daemon.ts) outlives the agent by design, like the monitors.
    const rotator = argv.indexOf('__logrotate')
    if (rotator > 0) {
      const socket = argv[rotator + 1]
      if (socket && under.some(d => socket.startsWith(`${d}/`))) try { process.kill(Number(pid), 'SIGKILL') } catch { /* gone */ }
      continue
    }
    const monitor = argv.indexOf('meso-monitor')
    if (monitor > 0) {
      const dir = argv[monitor + 1]
      if (!dir || !under.some(d => dir.startsWith(`${d}/`))) continue
      let task = NaN
      try { task = Number(readFileSync(`${dir}/pid`, 'utf8')) } catch { /* not started */ }
      for (const target of [task > 0 ? -task : NaN, task, Number(pid)]) {
        if (Number.isFinite(target)) try { process.kill(target, 'SIGKILL') } catch { /* gone */ }
      }
      continue
    }
    if (!argv[0]?.endsWith('conmon')) continue
    const root = argv.find(a => a.startsWith('--runtime-arg=--root='))?.slice('--runtime-arg=--root='.length)
    const id = argv[argv.indexOf('-c') + 1]
    const runtime = argv[argv.indexOf('-r') + 1]
    if (!root || !id || !runtime || !under.some(d => root.startsWith(`${d}/`))) continue
    Bun.spawnSync([runtime, `--root=${root}`, 'delete', '--force', id], { stdout: 'ignore', stderr: 'ignore' })
    try { process.kill(Number(pid), 'SIGKILL') } catch { /* exited with its container */ }
  }
}

export interface Daemon {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  url: string
  log: () => string
  kill(signal?: NodeJS.Signals | number): Promise<void>
}

/** Starts `meso <args>` and waits for the line announcing its URL. */
export async function startDaemon(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<Daemon> {
  const proc = Bun.spawn([...MESO, ...args], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1', ...env } })
  track(proc)
  let output = ''
  let resolveUrl!: (u: string) => void
  let rejectUrl!: (e: Error) => void
  const urlP = new Promise<string>((res, rej) => { resolveUrl = res; rejectUrl = rej })
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder()
    for await (const chunk of stream) {
      output += dec.decode(chunk)
      const m = pattern.exec(output)
      if (m) resolveUrl(m[1]!)
    }
  }
  // Kill waits for both to end too: an exit can be seen before the last of its output is read.
  const drained = Promise.all([pump(proc.stdout), pump(proc.stderr)])
  void proc.exited.then(code => rejectUrl(new Error(`meso ${args[0]} exited with ${code} before it was ready:\n${output}`)))
  const timer = setTimeout(() => rejectUrl(new Error(`meso ${args[0]} not ready after 20s:\n${output}`)), 20_000)
  const url = await urlP
  clearTimeout(timer)
  return {
    proc, url, log: () => output,
    async kill(signal: NodeJS.Signals | number = 'SIGTERM') {
      proc.kill(signal as any)
      await proc.exited
      live.delete(proc)
      // Bounded: a child that inherited the pipes (none should) would hold them open.
      await Promise.race([drained, Bun.sleep(2_000)])
    },
  }
}

export function startMaster(workDir: string, extra: string[] = []): Promise<Daemon> {
  const port = extra.some(a => a.startsWith('--port=')) ? [] : ['--port=0']
  return startDaemon(['master', '--ip=127.0.0.1', ...port, `--work_dir=${workDir}`, ...extra], /meso master listening at (http:\/\/\S+?) /)
}

export function startAgent(master: string, workDir: string, extra: string[] = []): Promise<Daemon> {
  const port = extra.some(a => a.startsWith('--port=')) ? [] : ['--port=0']
  const launcher = extra.some(a => a.startsWith('--launcher=')) ? [] : ['--launcher=posix']
  return startDaemon(['agent', `--master=${master.replace(/^http:\/\//, '')}`, '--ip=127.0.0.1', ...port, `--work_dir=${workDir}`, ...launcher, ...extra], /meso agent listening at (http:\/\/\S+?),/)
}

/** Runs a CLI command to completion. */
export async function meso(args: string[], opts: { env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {}) {
  const proc = Bun.spawn([...MESO, ...args], {
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : 'ignore', stdout: 'pipe', stderr: 'pipe',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  })
  track(proc)
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  clearTimeout(timer)
  live.delete(proc)
  return { stdout, stderr, code }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v as T
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)
    await Bun.sleep(everyMs)
  }
}

// `--launcher posix`: each container is a process tree in its own session, supervised by a shell monitor
// (process-supervisor.ts), as Mesos' src/slave/containerizer/mesos/launcher.cpp (PosixLauncher). No isolation
// beyond that: it has no OCI spec, so only isolators that need none apply (posix/cpu,posix/mem report usage, and
// gpu/nvidia sets the environment); resource limits are not enforced.

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../core/log.ts'
import { releaseFifoLogger, startFifoLogger } from '../io/logrotate.ts'
import type { LogRotation } from '../io/logrotate-policy.ts'
import { PipeIO } from '../io/process-io.ts'
import type { ContainerLaunch, ExecProcess, ExecSpec, Launched, Launcher, RecoveredContainer, Termination } from './launcher.ts'
import { LAUNCH_INTERRUPTED, waitStatusOf } from './launcher.ts'
import { isAlive, readExitFile, startSupervised, waitForFile, type SupervisedProcess } from './process-supervisor.ts'
import { userSwitchPrefix } from './user.ts'

const log = logger('posix-launcher')

interface Entry { sp: SupervisedProcess & { sandbox?: string }; exited?: Promise<Termination>; interrupted?: boolean }

export class PosixLauncher implements Launcher {
  readonly name = 'posix' as const
  private entries = new Map<string, Entry>()

  /** `logRotation`: the task's stdout/stderr go through rotating loggers (io/logrotate.ts) instead of straight to the files. */
  constructor(private readonly runtimeDir: string, private readonly switchUser: boolean, private readonly logRotation?: LogRotation) {}

  async prepare() { mkdirSync(join(this.runtimeDir, 'containers'), { recursive: true }) }

  private runDir(id: string) { return join(this.runtimeDir, 'containers', id) }

  /** Starts the process at once: nothing isolates it between create and start. */
  async create(spec: ContainerLaunch): Promise<Launched> {
    const argv = [...userSwitchPrefix(spec.user, this.switchUser), ...spec.argv]
    const runDir = this.runDir(spec.containerId)
    const output = (stream: 'stdout' | 'stderr') => {
      const file = join(spec.sandbox, stream)
      if (!this.logRotation) return file
      mkdirSync(runDir, { recursive: true })
      // The monitor's `>>` opens this pipe; the logger on its other end writes (and rotates) the sandbox file.
      const fifo = join(runDir, `${stream}.pipe`)
      startFifoLogger(fifo, file, this.logRotation)
      return fifo
    }
    const stdout = output('stdout'), stderr = output('stderr')
    const sp = await startSupervised({ runDir, argv, env: spec.env, cwd: spec.sandbox, stdout, stderr }).catch(err => {
      // A task that never started never opened the pipes: release the loggers still waiting for it.
      if (this.logRotation) for (const fifo of [stdout, stderr]) releaseFifoLogger(fifo)
      throw err
    })
    const data = { ...sp, sandbox: spec.sandbox }
    this.entries.set(spec.containerId, { sp: data })
    return { pid: sp.pid, data }
  }

  async start() {}

  pid(containerId: string): number | undefined {
    const e = this.entries.get(containerId)
    return e && isAlive(e.sp.pid) ? e.sp.pid : undefined
  }

  wait(containerId: string): Promise<Termination> {
    const e = this.entries.get(containerId)
    if (!e) return Promise.resolve({ unknown: `container ${containerId} is unknown to the posix launcher` })
    if (e.interrupted) e.exited ??= Promise.resolve({ unknown: LAUNCH_INTERRUPTED })
    e.exited ??= this.exitOf(e)
    return e.exited
  }

  /** What the monitor records when the process tree ends. */
  private exitOf(e: Entry): Promise<Termination> {
    return waitForFile(e.sp.runDir, 'exit', () => isAlive(e.sp.monitorPid, e.sp.monitorStart)).then(r => {
      if (r === 'gone') return { unknown: 'the container monitor exited without recording an exit status' }
      const code = readExitFile(join(e.sp.runDir, 'exit'))!
      return { exitCode: code, waitStatus: waitStatusOf(code) }
    })
  }

  async kill(containerId: string, signal: NodeJS.Signals) {
    const e = this.entries.get(containerId)
    // A launch cut short is recovered with pid 0, and kill(-0) would signal the agent's own process group.
    if (!e || !(e.sp.pid > 0)) return
    try { process.kill(-e.sp.pid, signal) } catch { /* already gone */ }
  }

  async destroy(containerId: string) {
    const e = this.entries.get(containerId)
    if (e && isAlive(e.sp.pid)) {
      try { process.kill(-e.sp.pid, 'SIGKILL') } catch { /* gone */ }
      await this.exitOf(e)
    }
    this.entries.delete(containerId)
    rmSync(this.runDir(containerId), { recursive: true, force: true })
  }

  async recover(containers: RecoveredContainer[]) {
    for (const c of containers) {
      const sp = c.data as unknown as SupervisedProcess
      if (!sp?.runDir) {
        // Checkpointed before the task's pid was known: wait() says the launch was cut short, and destroy() still
        // kills what the monitor may have started by then.
        const runDir = this.runDir(c.containerId)
        this.entries.set(c.containerId, { interrupted: true, sp: readMonitor(runDir) ?? { monitorPid: 0, monitorStart: '', pid: 0, runDir } })
        continue
      }
      this.entries.set(c.containerId, { sp })
    }
  }

  async cleanupOrphans(known: Set<string>): Promise<string[]> {
    const dir = join(this.runtimeDir, 'containers')
    const removed: string[] = []
    let names: string[] = []
    try { names = readdirSync(dir) } catch { return removed }
    for (const id of names) {
      if (known.has(id)) continue
      const sp = readMonitor(join(dir, id))
      if (sp && isAlive(sp.pid)) { try { process.kill(-sp.pid, 'SIGKILL') } catch { /* gone */ } }
      rmSync(join(dir, id), { recursive: true, force: true })
      removed.push(id)
      log.info(`Destroyed orphan container ${id}`)
    }
    return removed
  }

  /** No namespaces to join: the process runs on the host, in the task's sandbox. TTYs need the linux launcher. */
  async exec(containerId: string, x: ExecSpec): Promise<ExecProcess> {
    const e = this.entries.get(containerId)
    if (!e || !isAlive(e.sp.pid)) throw new Error(`container ${containerId} is not running`)
    if (x.tty) throw new Error('TTY sessions need the linux launcher (this agent runs --launcher=posix)')
    const proc = Bun.spawn([...userSwitchPrefix(x.user, this.switchUser), ...x.argv], { cwd: e.sp.sandbox ?? e.sp.runDir, env: x.env, stdio: ['pipe', 'pipe', 'pipe'] })
    const exited = proc.exited.then(code => ({ exitCode: code, waitStatus: waitStatusOf(code) }))
    return { io: new PipeIO(proc), wait: () => exited, kill: sig => { try { proc.kill(sig as any) } catch { /* gone */ } } }
  }
}

/** What startSupervised wrote once the task's pid was known (undefined before that). */
function readMonitor(runDir: string): SupervisedProcess | undefined {
  try { return JSON.parse(readFileSync(join(runDir, 'monitor.json'), 'utf8')) as SupervisedProcess } catch { return undefined }
}

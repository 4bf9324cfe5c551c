// `--launcher posix`: each container is a process tree in its own session, supervised by a shell monitor
// (process-supervisor.ts), as Mesos' src/slave/containerizer/mesos/launcher.cpp (PosixLauncher). No isolation
// beyond that: it has no OCI spec, so only isolators that need none apply (posix/cpu,posix/mem report usage, and
// gpu/nvidia sets the environment); resource limits are not enforced.

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../core/log.ts'
import { PipeIO } from '../io/process-io.ts'
import type { ContainerLaunch, ExecProcess, ExecSpec, Launched, Launcher, RecoveredContainer, Termination } from './launcher.ts'
import { waitStatusOf } from './launcher.ts'
import { isAlive, readExitFile, startSupervised, waitForFile, type SupervisedProcess } from './process-supervisor.ts'
import { userSwitchPrefix } from './user.ts'

const log = logger('posix-launcher')

interface Entry { sp: SupervisedProcess & { sandbox?: string }; exited?: Promise<Termination> }

export class PosixLauncher implements Launcher {
  readonly name = 'posix' as const
  private entries = new Map<string, Entry>()

  constructor(private readonly runtimeDir: string, private readonly switchUser: boolean) {}

  async prepare() { mkdirSync(join(this.runtimeDir, 'containers'), { recursive: true }) }

  private runDir(id: string) { return join(this.runtimeDir, 'containers', id) }

  /** Starts the process at once: nothing isolates it between create and start. */
  async create(spec: ContainerLaunch): Promise<Launched> {
    const argv = [...userSwitchPrefix(spec.user, this.switchUser), ...spec.argv]
    const sp = await startSupervised({
      runDir: this.runDir(spec.containerId), argv, env: spec.env, cwd: spec.sandbox,
      stdout: join(spec.sandbox, 'stdout'), stderr: join(spec.sandbox, 'stderr'),
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
    e.exited ??= waitForFile(e.sp.runDir, 'exit', () => isAlive(e.sp.monitorPid, e.sp.monitorStart)).then(r => {
      if (r === 'gone') return { unknown: 'the container monitor exited without recording an exit status' }
      const code = readExitFile(join(e.sp.runDir, 'exit'))!
      return { exitCode: code, waitStatus: waitStatusOf(code) }
    })
    return e.exited
  }

  async kill(containerId: string, signal: NodeJS.Signals) {
    const e = this.entries.get(containerId)
    if (!e) return
    try { process.kill(-e.sp.pid, signal) } catch { /* already gone */ }
  }

  async destroy(containerId: string) {
    const e = this.entries.get(containerId)
    if (e && isAlive(e.sp.pid)) {
      try { process.kill(-e.sp.pid, 'SIGKILL') } catch { /* gone */ }
      await this.wait(containerId)
    }
    this.entries.delete(containerId)
    rmSync(this.runDir(containerId), { recursive: true, force: true })
  }

  async recover(containers: RecoveredContainer[]) {
    for (const c of containers) {
      const sp = c.data as unknown as SupervisedProcess
      if (!sp?.runDir) { this.entries.set(c.containerId, { sp: { monitorPid: 0, monitorStart: '', pid: 0, runDir: this.runDir(c.containerId) } }); continue }
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
      try {
        const sp = JSON.parse(readFileSync(join(dir, id, 'monitor.json'), 'utf8')) as SupervisedProcess
        if (isAlive(sp.pid)) process.kill(-sp.pid, 'SIGKILL')
      } catch { /* no monitor data: nothing running */ }
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

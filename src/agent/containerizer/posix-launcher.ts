// `--launcher posix`: each container is a process tree in its own session, supervised by a shell monitor
// (process-supervisor.ts). No isolation beyond that; resource limits are not enforced (as Mesos' posix/cpu,mem).

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../core/log.ts'
import { PipeIO } from '../io/process-io.ts'
import type { ExecProcess, ExecSpec, Launched, Launcher, LaunchSpec, RecoveredContainer, Termination } from './launcher.ts'
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

  async launch(spec: LaunchSpec): Promise<Launched> {
    const argv = [...userSwitchPrefix(spec.user, this.switchUser), ...spec.argv]
    const sp = await startSupervised({
      runDir: this.runDir(spec.containerId), argv, env: spec.env, cwd: spec.sandbox,
      stdout: join(spec.sandbox, 'stdout'), stderr: join(spec.sandbox, 'stderr'),
    })
    const data = { ...sp, sandbox: spec.sandbox }
    this.entries.set(spec.containerId, { sp: data })
    return { pid: sp.pid, data }
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

  async usage(containerId: string): Promise<Record<string, number> | undefined> {
    const e = this.entries.get(containerId)
    if (!e || !isAlive(e.sp.pid)) return undefined
    return processTreeUsage(e.sp.pid)
  }
}

/** CPU times and RSS summed over a process group, read from /proc (what posix/cpu,mem report in Mesos). */
function processTreeUsage(pgid: number): Record<string, number> {
  let user = 0, system = 0, rss = 0, processes = 0, threads = 0
  const tick = 100
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(f[2]) !== pgid) continue
      processes++
      user += Number(f[11]) / tick
      system += Number(f[12]) / tick
      threads += Number(f[17])
      rss += Number(f[21]) * 4096
    } catch { /* process went away */ }
  }
  return { timestamp: Date.now() / 1000, processes, threads, cpus_user_time_secs: user, cpus_system_time_secs: system, mem_rss_bytes: rss }
}

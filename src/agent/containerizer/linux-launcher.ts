// `--launcher linux`: every container is an OCI container created by crun (or runc) and supervised by its own
// conmon, so the agent owns no container process; a restarted agent re-adopts running containers from the
// checkpointed LinuxContainerData. This file creates, starts, waits for, signals and destroys them; the pieces it
// uses live in linux/: the spec (spec-builder.ts), exec sessions (exec-session.ts), reading how a container ended
// (exit-watch.ts), orphans (orphans.ts) and the runtime dirs (runtime-dirs.ts). Isolation, images and networks are
// the containerizer's (containerizer.ts), which hands their part of the spec in ContainerLaunch.

import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../core/log.ts'
import type { AgentFlags } from '../flags.ts'
import { ConmonAttach } from '../io/conmon-attach.ts'
import { LogPump } from '../io/log-pump.ts'
import { LogRotatorClient } from '../io/logrotate-client.ts'
import { logRotationOf, type LogRotation } from '../io/logrotate-policy.ts'
import { detectHierarchy, fixHybridHierarchy, prepareV2Root, type CgroupHierarchy } from '../isolators/cgroups/hierarchy.ts'
import { conmonCreate } from './conmon.ts'
import { findContainerInit, type ContainerInit } from './container-init.ts'
import { LAUNCH_INTERRUPTED, type ContainerIO, type ContainerLaunch, type ExecProcess, type ExecSpec, type Launched, type Launcher, type RecoveredContainer, type Termination } from './launcher.ts'
import { containerCgroupDir, signalCgroup } from './linux/cgroup-signal.ts'
import { awaitSignalReadiness, executableOf } from './linux/signal-readiness.ts'
import { execInContainer } from './linux/exec-session.ts'
import { LaunchSlots } from './linux/launch-slots.ts'
import { watchExit } from './linux/exit-watch.ts'
import { ExitWatcher } from './linux/exit-watcher.ts'
import { destroyOrphans } from './linux/orphans.ts'
import { RuntimeDirs } from './linux/runtime-dirs.ts'
import { buildSpec } from './linux/spec-builder.ts'
import { serializeSpec, type HostRootEntry } from './oci-spec.ts'
import { OciRuntime } from './oci-runtime.ts'
import { isAlive, processStartTime } from './process-supervisor.ts'

const log = logger('linux-launcher')

/**
 * How long the output of a destroyed TTY/stdin container still waits for its first client: `meso task run -t`
 * attaches when it hears TASK_RUNNING, and a short task has often ended, and been destroyed, by then.
 */
const UNCLAIMED_OUTPUT_KEPT_MS = 30_000

/** What is checkpointed per container to re-adopt it. */
export interface LinuxContainerData {
  bundle: string
  cgroupsPath: string
  pid: number
  pidStart?: string
  conmonPid: number
  conmonStart?: string
  memLimitBytes?: number
  parentId?: string
  /** Host sandbox (where a TTY/stdin container's log pump writes stdout/stderr). */
  sandbox?: string
  /** Started with a TTY and/or stdin: conmon keeps the streams (attach socket) and logs to ctr.log. */
  attached?: { tty: boolean; stdin: boolean }
}

interface Entry {
  id: string
  data: LinuxContainerData
  exited?: Promise<Termination>
  attach?: ConmonAttach
  pump?: LogPump
  /** Checkpointed before conmon reported a pid: the agent stopped mid-launch, there is nothing to watch. */
  interrupted?: boolean
  /** The container process's executable at create, until a kill has seen it exec (linux/signal-readiness.ts). */
  preExec?: string
}

export type LinuxLauncherFlags = Pick<AgentFlags, 'oci_runtime' | 'cgroups_root' | 'sandbox_directory' | 'switch_user'> & Partial<Pick<AgentFlags, 'logrotate_max_size' | 'logrotate_max_files'>>

export function linuxLauncherUnavailable(flags: Pick<AgentFlags, 'oci_runtime'>): string | undefined {
  if (process.getuid?.() !== 0) return 'the linux launcher needs root (the agent is not running as root)'
  const runtime = flags.oci_runtime ?? Bun.which('crun')
  if (!runtime || !existsSync(runtime)) return flags.oci_runtime ? `--oci_runtime ${flags.oci_runtime} does not exist` : 'crun is not installed (run ./install.sh, or apt-get install crun conmon)'
  if (!Bun.which('conmon')) return 'conmon is not installed (run ./install.sh, or apt-get install conmon)'
  return undefined
}

export class LinuxLauncher implements Launcher {
  readonly name = 'linux' as const
  private readonly runtime: OciRuntime
  private readonly conmon: string
  private readonly dirs: RuntimeDirs
  /** One inotify watch and one timer for every container's exit file. */
  private readonly exits: ExitWatcher
  /** A bounded number of creates at a time; the rest queue (linux/launch-slots.ts). */
  private readonly slots = new LaunchSlots()
  private readonly entries = new Map<string, Entry>()
  /** Switchboards of destroyed containers that no client attached to yet (UNCLAIMED_OUTPUT_KEPT_MS). */
  private readonly unclaimed = new Map<string, ContainerIO>()
  private hostRoot: HostRootEntry[] = []
  /** The cgroup mounts, read once prepared: kills go through the containers' cgroups (linux/cgroup-signal.ts). */
  private cgroups?: CgroupHierarchy
  groupCommand = ['/bin/sleep', 'infinity']
  /** PID 1 of containers with a pid namespace of their own (container-init.ts); undefined when none is installed. */
  init?: ContainerInit
  /** The agent's log rotator (io/logrotate-client.ts), one process for every container's stdout and stderr. */
  private readonly rotator: LogRotatorClient

  /**
   * `hidden`: host paths containers on the host's root must not see (spec-builder.ts), masked in every such
   * container (the runtime skips those that do not exist).
   */
  constructor(private readonly flags: LinuxLauncherFlags, runtimeDir: string, private hidden: readonly string[] = []) {
    this.runtime = new OciRuntime(flags.oci_runtime ?? Bun.which('crun')!, join(runtimeDir, 'oci'))
    this.conmon = Bun.which('conmon')!
    this.dirs = new RuntimeDirs(runtimeDir)
    this.exits = new ExitWatcher(this.dirs.exits)
    this.rotator = new LogRotatorClient(join(runtimeDir, 'logrotate.sock'))
  }

  async prepare() {
    for (const d of [this.dirs.bundles, this.dirs.exits, this.dirs.persistRoot, this.dirs.sockets, this.runtime.root]) mkdirSync(d, { recursive: true })
    if (detectHierarchy().version === 'v1') {
      const mounted = await fixHybridHierarchy()
      if (mounted.length) log.info(`Mounted cgroup v1 hierarchies for ${mounted.join(', ')} (crun refuses controllers left on the hybrid cgroup2 mount)`)
    } else if (prepareV2Root() === 'moved') {
      log.info('Moved the agent into /sys/fs/cgroup/meso-agent so containers can use cgroup v2 controllers')
    }
    this.hostRoot = readdirSync('/').map(name => {
      const st = lstatSync(`/${name}`)
      if (st.isSymbolicLink()) return { name, kind: 'symlink' as const, target: readlinkSync(`/${name}`) }
      return { name, kind: st.isDirectory() ? 'dir' as const : 'other' as const }
    })
    this.groupCommand = [Bun.which('sleep') ?? '/bin/sleep', 'infinity']
    this.hidden = [...new Set(this.hidden)]
    const init = findContainerInit()
    if ('missing' in init) {
      log.warn(`No container init (${init.missing}): tasks run as PID 1 of their pid namespace, which ignores SIGTERM unless the program handles it, so kills wait for the grace period; install catatonit (./install.sh) to fix`)
    } else {
      this.init = init
      log.info(`Container init: ${init.path} runs as PID 1 of every container with its own pid namespace (opt out per task: meso task run --no-init, label meso.io/init=false)`)
    }
    this.cgroups = detectHierarchy()
    log.info(`Linux launcher ready: ${this.runtime.name} under conmon, cgroups ${this.cgroups.version}`)
  }

  private logRotation(): LogRotation | undefined {
    const f = this.flags
    return f.logrotate_max_size && f.logrotate_max_files ? logRotationOf({ logrotate_max_size: f.logrotate_max_size, logrotate_max_files: f.logrotate_max_files }) : undefined
  }

  private cgroupsPathFor(id: string, parentId?: string): string {
    const root = `/${this.flags.cgroups_root}`
    if (!parentId) return `${root}/${id}`
    const parent = this.entries.get(parentId)
    return `${parent?.data.cgroupsPath ?? `${root}/${parentId}`}/${id}`
  }

  /** Writes the bundle and has conmon run `crun create`: the container exists, its process waits for `start`. */
  async create(launch: ContainerLaunch): Promise<Launched> {
    const id = launch.containerId
    const parent = launch.parentId ? this.entries.get(launch.parentId) : undefined
    if (launch.parentId && (!parent || !isAlive(parent.data.pid, parent.data.pidStart))) {
      throw new Error(`parent container ${launch.parentId} is not running`)
    }
    const bundle = this.dirs.bundle(id)
    rmSync(bundle, { recursive: true, force: true })
    mkdirSync(bundle, { recursive: true })
    const cgroupsPath = this.cgroupsPathFor(id, launch.parentId)
    const spec = buildSpec({ launch, bundle, cgroupsPath, parentPid: parent?.data.pid, flags: this.flags, hostRoot: this.hostRoot, hidden: this.hidden, init: this.init })
    // Root-only: the spec holds the task's environment, secret variables included (docs/security-secrets.md).
    writeFileSync(join(bundle, 'config.json'), serializeSpec(spec), { mode: 0o600 })
    const created = await this.slots.run(() => conmonCreate({
      conmon: this.conmon, runtime: this.runtime.binary, runtimeRoot: this.runtime.root, id, bundle,
      exitDir: this.dirs.exits, persistDir: this.dirs.persist(id), socketDir: this.dirs.sockets,
      stdoutPath: join(launch.sandbox, 'stdout'), stderrPath: join(launch.sandbox, 'stderr'),
      terminal: launch.tty, stdin: launch.stdin, logRotation: this.logRotation(), rotator: this.rotator,
    })).catch(async err => {
      await this.runtime.delete(id)
      rmSync(bundle, { recursive: true, force: true })
      throw err
    })
    const data: LinuxContainerData = {
      bundle, cgroupsPath, pid: created.pid, pidStart: processStartTime(created.pid),
      conmonPid: created.conmonPid, conmonStart: processStartTime(created.conmonPid),
      memLimitBytes: spec.linux.resources?.memory?.limit, parentId: launch.parentId, sandbox: launch.sandbox,
      attached: launch.tty || launch.stdin ? { tty: !!launch.tty, stdin: !!launch.stdin } : undefined,
    }
    const entry: Entry = { id, data, preExec: executableOf(created.pid) }
    this.entries.set(id, entry)
    this.startIO(entry, true)
    return { pid: created.pid, data: { ...data } }
  }

  async start(id: string) {
    await this.runtime.start(id)
  }

  wait(id: string): Promise<Termination> {
    const e = this.entries.get(id)
    if (!e) return Promise.resolve({ unknown: `container ${id} is unknown to the linux launcher` })
    if (e.interrupted) e.exited ??= Promise.resolve({ unknown: LAUNCH_INTERRUPTED })
    e.exited ??= watchExit(this.dirs, this.exits, id, e.data).then(t => { e.pump?.stop(); e.attach?.close(); return t })
    return e.exited
  }

  pid(id: string): number | undefined {
    const e = this.entries.get(id)
    return e && isAlive(e.data.pid, e.data.pidStart) ? e.data.pid : undefined
  }

  /**
   * TTY/stdin containers: the log pump into the sandbox and the attach switchboard, connected before the start of a
   * fresh container (nothing printed is missed) and lazily for one re-adopted after a restart.
   */
  private startIO(e: Entry, fresh: boolean) {
    const a = e.data.attached
    if (!a || !e.data.sandbox) return
    e.pump = new LogPump(join(e.data.bundle, 'ctr.log'), e.data.sandbox, this.logRotation())
    e.pump.start()
    e.attach = new ConmonAttach(e.id, join(this.dirs.sockets, e.id, 'attach'), join(e.data.bundle, 'ctl'), a.tty, a.stdin,
      () => isAlive(e.data.pid, e.data.pidStart))
    if (fresh) e.attach.connectBeforeStart()
    void this.wait(e.id)
  }

  io(id: string): ContainerIO | undefined { return this.entries.get(id)?.attach ?? this.unclaimed.get(id) }

  async exec(id: string, x: ExecSpec): Promise<ExecProcess> {
    const e = this.entries.get(id)
    if (!e || !isAlive(e.data.pid, e.data.pidStart)) throw new Error(`container ${id} is not running`)
    return execInContainer(this.runtime, this.flags, { id, bundle: e.data.bundle, socketDir: this.dirs.sockets }, x)
  }

  async kill(id: string, signal: NodeJS.Signals) {
    const e = this.entries.get(id)
    if (!e) return
    // A signal other than SIGKILL that reaches PID 1 before it exec'd would be dropped by the kernel.
    if (e.preExec !== undefined && signal !== 'SIGKILL') {
      await awaitSignalReadiness(e.data.pid, e.preExec, signal)
      e.preExec = undefined
    }
    // Every process of the container, as `crun kill --all` would, without starting crun; crun when the cgroup is unreadable.
    const dir = this.cgroups && !e.interrupted ? containerCgroupDir(this.cgroups, e.data.cgroupsPath) : undefined
    if (dir && signalCgroup(dir, signal)) return
    await this.runtime.kill(id, signal)
  }

  async destroy(id: string) {
    const e = this.entries.get(id)
    await this.runtime.delete(id)
    if (e) {
      // Give conmon the moment it needs to record the exit of a container that was still running.
      await Promise.race([this.wait(id), Bun.sleep(5000)])
      if (isAlive(e.data.conmonPid, e.data.conmonStart)) { try { process.kill(e.data.conmonPid, 'SIGKILL') } catch { /* gone */ } }
      if (e.attach?.awaitsFirstClient) {
        this.unclaimed.set(id, e.attach)
        setTimeout(() => this.unclaimed.delete(id), UNCLAIMED_OUTPUT_KEPT_MS).unref()
      }
    }
    this.entries.delete(id)
    this.dirs.remove(id)
  }

  async recover(containers: RecoveredContainer[]) {
    for (const c of containers) {
      const data = c.data as unknown as LinuxContainerData
      if (!data?.bundle) {
        // Checkpointed before conmon reported a pid: nothing to re-adopt; wait() says the launch was cut short, and
        // destroy() still deletes whatever crun may have created by then.
        this.entries.set(c.containerId, { id: c.containerId, interrupted: true, data: { bundle: this.dirs.bundle(c.containerId), cgroupsPath: this.cgroupsPathFor(c.containerId), pid: 0, conmonPid: 0 } })
        continue
      }
      const entry: Entry = { id: c.containerId, data }
      this.entries.set(c.containerId, entry)
      this.startIO(entry, false)
      this.readoptLogs(entry)
    }
  }

  /**
   * A plain container's output pipes go on being rotated: the rotator that outlived the agent keeps them (the
   * request is a no-op), a new one (the old one died) opens them again. Not awaited: re-adoption does not wait.
   */
  private readoptLogs(e: Entry) {
    const rot = this.logRotation()
    if (!rot || e.data.attached || !e.data.sandbox) return
    for (const stream of ['stdout', 'stderr']) {
      const fifo = join(e.data.bundle, `${stream}.fifo`)
      if (!existsSync(fifo)) continue // started before the rotator existed: its companion loggers go on
      this.rotator.readopt(fifo, join(e.data.sandbox, stream), rot).catch(err => log.warn(`Container ${e.id}: ${stream} is no longer rotated: ${(err as Error).message}`))
    }
  }

  cleanupOrphans(known: Set<string>): Promise<string[]> {
    return destroyOrphans(this.runtime, this.dirs, known)
  }

  /** The cgroup of a container the launcher knows (re-adopted ones included). */
  cgroupsPath(id: string): string | undefined { return this.entries.get(id)?.data.cgroupsPath }
}

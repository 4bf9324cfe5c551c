// `--launcher linux`: every container is an OCI container created by crun (or runc) and supervised by its own
// conmon, so the agent owns no container process. The spec is the base (host root read-only, sandbox at
// --sandbox_directory, private /tmp) plus what each --isolation isolator adds. Exit codes and OOM kills are read
// from conmon's exit/persist files, which also lets a restarted agent re-adopt running containers.

import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../core/log.ts'
import { lookupUser } from '../../core/posix-user.ts'
import { Resources } from '../../core/resources.ts'
import type { ContainerInfo } from '../../core/v1/messages.ts'
import { detectHierarchy, fixHybridHierarchy, prepareV2Root, type CgroupHierarchy } from '../isolators/cgroups/hierarchy.ts'
import { statsReader, type CgroupStats } from '../isolators/cgroups/stats.ts'
import { parseIsolation } from '../isolators/index.ts'
import type { IsolationContext, Isolator } from '../isolators/isolator.ts'
import { agentCapabilities } from '../isolators/linux-capabilities.ts'
import { newUuid } from '../../core/ids.ts'
import { ConmonAttach } from '../io/conmon-attach.ts'
import { LogPump } from '../io/log-pump.ts'
import { PipeIO, PtyIO } from '../io/process-io.ts'
import { ConsoleSocket } from '../io/unix.ts'
import { conmonCreate } from './conmon.ts'
import type { ContainerNetworking, DeviceIsolation, ImageProvisioner } from './extensions.ts'
import type { ContainerIO, ExecProcess, ExecSpec, Launched, Launcher, LaunchSpec, RecoveredContainer, Termination } from './launcher.ts'
import { waitStatusOf } from './launcher.ts'
import { baseSpec, hostRootLayout, serializeSpec, type HostRootEntry, type OciSpec } from './oci-spec.ts'
import { OciRuntime } from './oci-runtime.ts'
import { isAlive, processStartTime, readExitFile, waitForFile } from './process-supervisor.ts'
import { mustSwitchUser } from './user.ts'
import { commandEnvironment } from '../executors/executor.ts'

const log = logger('linux-launcher')

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

interface Entry { id: string; data: LinuxContainerData; exited?: Promise<Termination>; attach?: ConmonAttach; pump?: LogPump }

export function linuxLauncherUnavailable(flags: Record<string, any>): string | undefined {
  if (process.getuid?.() !== 0) return 'the linux launcher needs root (the agent is not running as root)'
  const runtime = flags.oci_runtime ?? Bun.which('crun')
  if (!runtime || !existsSync(runtime)) return flags.oci_runtime ? `--oci_runtime ${flags.oci_runtime} does not exist` : 'crun is not installed (run ./install.sh, or apt-get install crun conmon)'
  if (!Bun.which('conmon')) return 'conmon is not installed (run ./install.sh, or apt-get install conmon)'
  return undefined
}

export function createLinuxLauncher(flags: Record<string, any>, runtimeDir: string): LinuxLauncher {
  return new LinuxLauncher(flags, runtimeDir)
}

export class LinuxLauncher implements Launcher {
  readonly name = 'linux' as const
  private readonly runtime: OciRuntime
  private readonly conmon: string
  private readonly isolators: Isolator[]
  private readonly entries = new Map<string, Entry>()
  private hostRoot: HostRootEntry[] = []
  private cgroups!: CgroupHierarchy
  private stats!: CgroupStats
  private sleepBinary = '/bin/sleep'
  /** Registered at agent start by their modules (see extensions.ts). */
  images?: ImageProvisioner
  network?: ContainerNetworking
  devices?: DeviceIsolation

  constructor(private readonly flags: Record<string, any>, private readonly runtimeDir: string) {
    this.runtime = new OciRuntime(flags.oci_runtime ?? Bun.which('crun')!, join(runtimeDir, 'oci'))
    this.conmon = Bun.which('conmon')!
    this.isolators = parseIsolation(flags.isolation).isolators
  }

  private dirs = {
    bundles: () => join(this.runtimeDir, 'containers'),
    exits: () => join(this.runtimeDir, 'exits'),
    persist: (id: string) => join(this.runtimeDir, 'persist', id),
    sockets: () => join(this.runtimeDir, 's'),
  }

  get hierarchy(): CgroupHierarchy { return this.cgroups }
  get isolatorNames(): string[] { return this.isolators.map(i => i.name) }

  async prepare() {
    for (const d of [this.dirs.bundles(), this.dirs.exits(), join(this.runtimeDir, 'persist'), this.dirs.sockets(), this.runtime.root]) mkdirSync(d, { recursive: true })
    const first = detectHierarchy()
    if (first.version === 'v1') {
      const mounted = await fixHybridHierarchy()
      if (mounted.length) log.info(`Mounted cgroup v1 hierarchies for ${mounted.join(', ')} (crun refuses controllers left on the hybrid cgroup2 mount)`)
    } else if (prepareV2Root() === 'moved') {
      log.info('Moved the agent into /sys/fs/cgroup/meso-agent so containers can use cgroup v2 controllers')
    }
    this.cgroups = detectHierarchy()
    this.stats = statsReader(this.cgroups)
    this.hostRoot = readdirSync('/').map(name => {
      const st = lstatSync(`/${name}`)
      if (st.isSymbolicLink()) return { name, kind: 'symlink' as const, target: readlinkSync(`/${name}`) }
      return { name, kind: st.isDirectory() ? 'dir' as const : 'other' as const }
    })
    this.sleepBinary = Bun.which('sleep') ?? '/bin/sleep'
    log.info(`Linux launcher ready: ${this.runtime.name} under conmon, cgroups ${this.cgroups.version}, isolation ${this.isolatorNames.join(',')}`)
  }

  private cgroupsPathFor(id: string, parentId?: string): string {
    const root = `/${this.flags.cgroups_root ?? 'meso'}`
    if (!parentId) return `${root}/${id}`
    const parent = this.entries.get(parentId)
    return `${parent?.data.cgroupsPath ?? `${root}/${parentId}`}/${id}`
  }

  /** Builds the container's OCI spec: root (image or host), base, isolators, network, devices. */
  private async buildSpec(launch: LaunchSpec, bundle: string, cgroupsPath: string, parent?: Entry): Promise<OciSpec> {
    const sandboxInside = this.flags.sandbox_directory ?? '/mnt/mesos/sandbox'
    let argv = launch.argv
    let env: Record<string, string> = { ...launch.env, MESOS_SANDBOX: sandboxInside }
    let cwd = sandboxInside
    let user = launch.user
    let rootfs = join(bundle, 'rootfs')
    let rootMounts
    let readonlyRoot = true
    const image = launch.container?.mesos?.image
    if (image) {
      if (!this.images) throw new Error('this agent has no image support; start it with --image_providers=docker')
      const p = await this.images.provision(launch.containerId, image, { sandbox: launch.sandbox })
      const proc = imageProcess(launch, p.config)
      argv = proc.argv
      // The image's Env (its PATH above all) beats the agent's inherited environment; the task's own
      // CommandInfo environment and the MESOS_* variables beat the image.
      env = { ...env, ...proc.env, ...commandEnvironment(launch.command?.environment), ...mesosVars(env) }
      if (p.config.workingDir) cwd = p.config.workingDir
      if (!launch.command?.user && p.config.user) user = p.config.user
      rootfs = p.rootfs
      rootMounts = p.mounts ?? []
      readonlyRoot = false
    } else {
      mkdirSync(rootfs, { recursive: true })
      const layout = hostRootLayout(this.hostRoot)
      for (const s of layout.symlinks) symlinkSync(s.target, join(rootfs, s.name))
      rootMounts = layout.mounts
    }
    let uid = 0, gid = 0
    if (user && /^\d+(:\d+)?$/.test(user)) {
      // Numeric image users (`1000` or `1000:1000`) need no passwd entry on the agent.
      const [u, g] = user.split(':').map(Number)
      uid = u!; gid = g ?? u!
    } else if (mustSwitchUser(user, this.flags.switch_user !== false)) {
      const u = lookupUser(user!)
      if (!u) throw new Error(`Failed to switch to user '${user}': no such user on this agent`)
      uid = u.uid; gid = u.gid
    }
    // Mesos: a NetworkInfo without a name means the host network.
    const ownNetwork = !parent && !!launch.container?.network_infos?.some(n => n.name)
    const spec = baseSpec({
      argv, env, cwd, uid, gid, cgroupsPath, rootfs, rootMounts,
      sandbox: { host: launch.sandbox, container: sandboxInside },
      terminal: !!launch.tty,
      capabilities: agentCapabilities(),
      ownNetwork,
    })
    spec.root.readonly = readonlyRoot
    if (parent) {
      // Nested containers share the parent's network, hostname and IPC (and pid, through namespaces/pid).
      for (const type of ['network', 'uts', 'ipc']) spec.linux.namespaces.push({ type, path: `/proc/${parent.data.pid}/ns/${type === 'network' ? 'net' : type}` })
    }
    const ctx: IsolationContext = {
      containerId: launch.containerId,
      parent: parent ? { containerId: parent.id, pid: parent.data.pid, cgroupsPath: parent.data.cgroupsPath, sandbox: parent.data.sandbox } : undefined,
      cgroupsPath,
      resources: launch.resources,
      container: launch.container,
      flags: this.flags,
      sandbox: { host: launch.sandbox, container: sandboxInside },
    }
    for (const iso of this.isolators) iso.isolate(spec, ctx)
    if (ownNetwork) {
      if (!this.network) throw new Error("this agent cannot give containers their own network: add 'network/cni' to --isolation and set --network_cni_config_dir")
      const net = await this.network.setup(launch.containerId, launch.container!, { sandbox: launch.sandbox, resources: launch.resources })
      spec.linux.namespaces.push({ type: 'network', path: net.netnsPath })
      spec.mounts.push(...net.mounts)
      if (net.hostname) { spec.linux.namespaces.push({ type: 'uts' }); spec.hostname = net.hostname }
    }
    await this.devices?.isolate(spec, launch.containerId, launch.resources)
    if (launch.tty && launch.container?.tty_info?.window_size) {
      const w = launch.container.tty_info.window_size
      spec.process.consoleSize = { height: w.rows, width: w.columns }
    }
    return spec
  }

  async launch(launch: LaunchSpec): Promise<Launched> {
    const id = launch.containerId
    const parent = launch.parentId ? this.entries.get(launch.parentId) : undefined
    if (launch.parentId && (!parent || !isAlive(parent.data.pid, parent.data.pidStart))) {
      throw new Error(`parent container ${launch.parentId} is not running`)
    }
    const bundle = join(this.dirs.bundles(), id)
    rmSync(bundle, { recursive: true, force: true })
    mkdirSync(bundle, { recursive: true })
    const cgroupsPath = this.cgroupsPathFor(id, launch.parentId)
    const spec = await this.buildSpec(launch, bundle, cgroupsPath, parent)
    writeFileSync(join(bundle, 'config.json'), serializeSpec(spec))
    const created = await conmonCreate({
      conmon: this.conmon, runtime: this.runtime.binary, runtimeRoot: this.runtime.root, id, bundle,
      exitDir: this.dirs.exits(), persistDir: this.dirs.persist(id), socketDir: this.dirs.sockets(),
      stdoutPath: join(launch.sandbox, 'stdout'), stderrPath: join(launch.sandbox, 'stderr'),
      terminal: launch.tty, stdin: launch.stdin,
    }).catch(async err => {
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
    const entry: Entry = { id, data }
    this.entries.set(id, entry)
    this.startIO(entry, true)
    try {
      await this.runtime.start(id)
    } catch (err) {
      await this.destroy(id)
      throw err
    }
    return { pid: created.pid, data: { ...data } }
  }

  wait(id: string): Promise<Termination> {
    const e = this.entries.get(id)
    if (!e) return Promise.resolve({ unknown: `container ${id} is unknown to the linux launcher` })
    e.exited ??= this.watchExit(e).then(t => { e.pump?.stop(); e.attach?.close(); return t })
    return e.exited
  }

  /**
   * TTY/stdin containers: the log pump into the sandbox and the attach switchboard, connected before the start of a
   * fresh container (nothing printed is missed) and lazily for one re-adopted after a restart.
   */
  private startIO(e: Entry, fresh: boolean) {
    const a = e.data.attached
    if (!a || !e.data.sandbox) return
    e.pump = new LogPump(join(e.data.bundle, 'ctr.log'), e.data.sandbox)
    e.pump.start()
    e.attach = new ConmonAttach(e.id, join(this.dirs.sockets(), e.id, 'attach'), join(e.data.bundle, 'ctl'), a.tty, a.stdin,
      () => isAlive(e.data.pid, e.data.pidStart))
    if (fresh) e.attach.connectBeforeStart()
    void this.wait(e.id)
  }

  io(id: string): ContainerIO | undefined { return this.entries.get(id)?.attach }

  /** `crun exec` into the container: all its namespaces, its root and cgroup; a pty through --console-socket. */
  async exec(id: string, x: ExecSpec): Promise<ExecProcess> {
    const e = this.entries.get(id)
    if (!e || !isAlive(e.data.pid, e.data.pidStart)) throw new Error(`container ${id} is not running`)
    const sessionId = newUuid().slice(0, 8)
    const pidFile = join(e.data.bundle, `exec-${sessionId}.pid`)
    const args = [this.runtime.binary, `--root=${this.runtime.root}`, 'exec', '--pid-file', pidFile, '--cwd', this.flags.sandbox_directory ?? '/mnt/mesos/sandbox']
    for (const [k, v] of Object.entries(x.env)) args.push('--env', `${k}=${v}`)
    if (x.user && mustSwitchUser(x.user, this.flags.switch_user !== false)) {
      const u = lookupUser(x.user)
      if (!u) throw new Error(`Failed to switch to user '${x.user}': no such user on this agent`)
      args.push('--user', `${u.uid}:${u.gid}`)
    }
    let console: ConsoleSocket | undefined
    if (x.tty) {
      console = new ConsoleSocket(join(this.dirs.sockets(), `c-${sessionId}`))
      args.push('--tty', '--console-socket', console.path)
    }
    args.push(id, ...x.argv)
    const proc = Bun.spawn(args, { stdio: x.tty ? ['ignore', 'ignore', 'pipe'] : ['pipe', 'pipe', 'pipe'] }) as any
    let io: ContainerIO
    try {
      if (console) {
        const master = await console.receiveFd(10_000, () => proc.exitCode !== null)
        const pty = new PtyIO(master)
        if (x.size) pty.resize(x.size.rows, x.size.cols)
        io = pty
      } else {
        io = new PipeIO(proc)
      }
    } catch (err) {
      proc.kill('SIGKILL')
      const why = await new Response(proc.stderr).text().catch(() => '')
      throw new Error(`exec in container ${id} failed: ${why.trim() || (err as Error).message}`)
    } finally {
      console?.close()
    }
    // crun reports a command it cannot start with exit 255 and a message on stderr; shells say 127/126 for that.
    let stderrText = ''
    if (x.tty) void new Response(proc.stderr).text().then(t => { stderrText = t })
    else io.onOutput((stream, data) => { if (stream === 'stderr' && stderrText.length < 4096) stderrText += new TextDecoder().decode(data) }, () => {})
    const exited: Promise<Termination> = proc.exited.then(async (code: number) => {
      rmSync(pidFile, { force: true })
      if (code === 255) {
        await Bun.sleep(20)
        if (/executable file .* not found|No such file or directory/.test(stderrText)) code = 127
        else if (/[Pp]ermission denied/.test(stderrText)) code = 126
      }
      return { exitCode: code, waitStatus: waitStatusOf(code) }
    })
    return {
      io,
      wait: () => exited,
      kill: signal => {
        const pid = Number(readFileSafe(pidFile) ?? 0)
        try { if (pid > 0) process.kill(pid, signal); else proc.kill(signal) } catch { /* gone */ }
      },
    }
  }

  private async watchExit(e: Entry): Promise<Termination> {
    const d = e.data
    const alive = () => isAlive(d.conmonPid, d.conmonStart) || isAlive(d.pid, d.pidStart)
    const r = await waitForFile(this.dirs.exits(), e.id, alive)
    if (r === 'gone') {
      log.warn(`Container ${e.id}: its conmon died without recording an exit status`)
      return { unknown: 'the container monitor (conmon) exited without recording an exit status' }
    }
    const code = readExitFile(join(this.dirs.exits(), e.id)) ?? 255
    const t: Termination = { exitCode: code, waitStatus: waitStatusOf(code) }
    // OOM: conmon leaves an `oom` marker; the cgroup's own counter is the fallback (still readable until delete).
    if (existsSync(join(this.dirs.persist(e.id), 'oom')) || this.stats.oomKills(d.cgroupsPath) > 0) {
      const peak = this.stats.memoryPeak(d.cgroupsPath)
      const mb = (b: number | undefined) => (b === undefined ? 'unknown' : `${Math.round(b / 1024 / 1024)}MB`)
      t.limitation = {
        reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
        message: `Memory limit exceeded: Requested: ${mb(d.memLimitBytes)} Maximum Used: ${mb(peak ?? d.memLimitBytes)}`,
        resources: d.memLimitBytes ? [{ name: 'mem', type: 'SCALAR', scalar: { value: d.memLimitBytes / 1024 / 1024 } }] : undefined,
      }
    }
    return t
  }

  async kill(id: string, signal: NodeJS.Signals) {
    if (!this.entries.has(id)) return
    await this.runtime.kill(id, signal)
  }

  async destroy(id: string) {
    const e = this.entries.get(id)
    await this.runtime.delete(id)
    if (e) {
      // Give conmon the moment it needs to record the exit of a container that was still running.
      await Promise.race([this.wait(id), Bun.sleep(5000)])
      if (isAlive(e.data.conmonPid, e.data.conmonStart)) { try { process.kill(e.data.conmonPid, 'SIGKILL') } catch { /* gone */ } }
    }
    this.entries.delete(id)
    await this.releaseExtensions(id)
    rmSync(join(this.dirs.bundles(), id), { recursive: true, force: true })
    rmSync(join(this.dirs.exits(), id), { force: true })
    rmSync(this.dirs.persist(id), { recursive: true, force: true })
  }

  /** Network, devices and rootfs of a container go when it does, in reverse order of setup. */
  private async releaseExtensions(id: string) {
    for (const [what, step] of [
      ['devices', () => this.devices?.release(id)],
      ['network', () => this.network?.teardown(id)],
      ['rootfs', () => this.images?.destroy(id)],
    ] as const) {
      try { await step() } catch (err) { log.warn(`Container ${id}: releasing its ${what} failed: ${(err as Error).message}`) }
    }
  }

  /** A nested container (a task of a group) shares its parent's network: report the parent's addresses. */
  networkStatus(id: string) {
    for (let cur: string | undefined = id; cur; cur = this.entries.get(cur)?.data.parentId) {
      const infos = this.network?.networkInfos(cur)
      if (infos) return infos
    }
    return undefined
  }

  async recover(containers: RecoveredContainer[]) {
    for (const c of containers) {
      const data = c.data as unknown as LinuxContainerData
      if (!data?.bundle) {
        // Checkpointed before conmon reported a pid: nothing to re-adopt; wait() reports it as unknown.
        this.entries.set(c.containerId, { id: c.containerId, data: { bundle: join(this.dirs.bundles(), c.containerId), cgroupsPath: this.cgroupsPathFor(c.containerId), pid: 0, conmonPid: 0 } })
        continue
      }
      const entry: Entry = { id: c.containerId, data }
      this.entries.set(c.containerId, entry)
      this.startIO(entry, false)
    }
    const known = new Set(containers.map(c => c.containerId))
    await this.images?.recover(known)
    await this.network?.recover(known)
    // Device assignments (GPUs) are checkpointed by their module; the resources are not needed to restore them.
    await this.devices?.recover(containers.map(c => ({ containerId: c.containerId, resources: Resources.EMPTY })))
  }

  async cleanupOrphans(known: Set<string>): Promise<string[]> {
    const removed: string[] = []
    const ids = new Set([...(await this.runtime.list()), ...safeReaddir(this.dirs.bundles())])
    // Children before parents, so a group's cgroup is empty when its parent goes.
    for (const id of [...ids].sort((a, b) => this.depth(b) - this.depth(a))) {
      if (known.has(id)) continue
      const conmonPid = Number(readFileSafe(join(this.dirs.bundles(), id, 'conmon.pid')) || 0)
      await this.runtime.delete(id)
      if (conmonPid && readFileSafe(`/proc/${conmonPid}/cmdline`)?.includes(id)) { try { process.kill(conmonPid, 'SIGKILL') } catch { /* gone */ } }
      rmSync(join(this.dirs.bundles(), id), { recursive: true, force: true })
      rmSync(join(this.dirs.exits(), id), { force: true })
      rmSync(this.dirs.persist(id), { recursive: true, force: true })
      await this.releaseExtensions(id)
      removed.push(id)
      log.info(`Destroyed orphan container ${id}`)
    }
    return removed
  }

  private depth(id: string): number {
    try { return (JSON.parse(readFileSync(join(this.dirs.bundles(), id, 'config.json'), 'utf8')).linux.cgroupsPath as string).split('/').length } catch { return 0 }
  }

  async usage(id: string): Promise<Record<string, number> | undefined> {
    const e = this.entries.get(id)
    if (!e || !isAlive(e.data.pid, e.data.pidStart)) return undefined
    return { timestamp: Date.now() / 1000, ...this.stats.read(e.data.cgroupsPath) }
  }

  /** A task group's executor container: a sleeping process owning the namespaces and cgroup its tasks share. */
  async prepareGroup(containerId: string, sandbox: string, resources: Resources, container?: ContainerInfo) {
    await this.launch({ containerId, sandbox, argv: [this.sleepBinary, 'infinity'], env: {}, resources, container })
  }

  async destroyGroup(containerId: string) {
    if (!this.entries.has(containerId)) return
    await this.runtime.kill(containerId, 'SIGKILL')
    await this.destroy(containerId)
  }

  async recoverGroup(_containerId: string) { /* re-adopted through recover() like any container */ }

  /** Test and stats helper: the host cgroup directory of a container for one controller. */
  cgroupDir(id: string, controller: string): string | undefined {
    const e = this.entries.get(id)
    return e ? this.cgroups.dir(controller, e.data.cgroupsPath) : undefined
  }
}

/**
 * Mesos' rules for the process of a container with an image: a shell command ignores the image's Entrypoint and
 * Cmd; a non-shell command with a value replaces the Entrypoint (its arguments replace Cmd); no command at all runs
 * Entrypoint + Cmd. The image's Env comes first, the task's environment overrides it.
 */
export function imageProcess(launch: Pick<LaunchSpec, 'argv' | 'command'>, config: { entrypoint?: string[]; cmd?: string[]; env?: string[] }): { argv: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {}
  for (const e of config.env ?? []) {
    const i = e.indexOf('=')
    if (i > 0) env[e.slice(0, i)] = e.slice(i + 1)
  }
  const cmd = launch.command
  let argv: string[]
  if (!cmd) argv = launch.argv
  else if (cmd.shell !== false) argv = ['/bin/sh', '-c', cmd.value ?? '']
  else if (cmd.value) argv = [cmd.value, ...(cmd.arguments ?? []).slice(1)]
  else argv = [...(config.entrypoint ?? []), ...(cmd.arguments?.length ? cmd.arguments : config.cmd ?? [])]
  if (!argv.length) throw new Error('the task has no command and its image has neither Entrypoint nor Cmd')
  return { argv, env }
}

const mesosVars = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('MESOS_')))

function safeReaddir(dir: string): string[] { try { return readdirSync(dir) } catch { return [] } }
function readFileSafe(path: string): string | undefined { try { return readFileSync(path, 'utf8') } catch { return undefined } }

// The OCI spec (config.json) of a linux container: its root (the provisioned image, or the host's root read-only
// with top-level symlinks recreated in the bundle), its process (argv, environment, working directory and user,
// with Mesos' rules for images), the base mounts of oci-spec.ts, the namespaces a nested container joins, then
// the isolators' parts (ContainerLaunch.isolate) and the console size of a TTY. Host directories are bound
// recursively read-only where the kernel can (`rro`), so no mount below them is writable from a task; capabilities
// start from the secure default that linux/capabilities then sets per container (docs/security-tasks.md). Last, a
// container that owns its pid namespace gets the container init as PID 1 (container-init.ts), so signals reach the task.

import { mkdirSync, statSync, symlinkSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { lookupUser } from '../../../core/posix-user.ts'
import { commandEnvironment } from '../../executors/executor.ts'
import type { AgentFlags } from '../../flags.ts'
import { defaultCapabilities } from '../../isolators/linux-capabilities.ts'
import { ownsPidNamespace, useInit, withInit, type ContainerInit } from '../container-init.ts'
import { joinsNamedNetwork, type ContainerLaunch, type LaunchSpec } from '../launcher.ts'
import { baseSpec, hostRootLayout, readOnlyBindOption, type HostRootEntry, type OciMount, type OciSpec } from '../oci-spec.ts'
import { mustSwitchUser } from '../user.ts'
import { lookupCommand } from './command-lookup.ts'

export interface SpecInput {
  launch: ContainerLaunch
  bundle: string
  cgroupsPath: string
  /** The running parent of a nested container (its namespaces are joined). */
  parentPid?: number
  flags: Pick<AgentFlags, 'sandbox_directory' | 'switch_user'>
  /** readdir + lstat of the host's "/", taken once at start. */
  hostRoot: HostRootEntry[]
  /**
   * Host paths a container on the host's root must not see (the agent's work and runtime dirs, meso's state and
   * credential files): covered by empty mounts (`hiddenMounts`). Other tasks' sandboxes, checkpoints, image layers
   * and secrets live there.
   */
  hidden?: readonly string[]
  /** The static init installed on the agent (undefined: none; tasks then run as PID 1 themselves). */
  init?: ContainerInit
}

const READ_ONLY = readOnlyBindOption(release())

export function buildSpec(i: SpecInput): OciSpec {
  const { launch } = i
  const sandboxInside = i.flags.sandbox_directory
  let argv = launch.argv
  let env: Record<string, string> = { ...launch.env, MESOS_SANDBOX: sandboxInside }
  let cwd = sandboxInside
  let user = launch.user
  let rootfs = join(i.bundle, 'rootfs')
  let rootMounts
  const image = launch.image
  if (image) {
    const proc = imageProcess(launch, image.config)
    argv = proc.argv
    // The image's Env (its PATH above all) beats the agent's inherited environment; the task's own
    // CommandInfo environment and the MESOS_* variables beat the image.
    env = { ...env, ...proc.env, ...commandEnvironment(launch.command?.environment), ...mesosVars(env) }
    if (image.config.workingDir) cwd = image.config.workingDir
    if (!launch.command?.user && image.config.user) user = image.config.user
    rootfs = image.rootfs
    rootMounts = image.mounts ?? []
  } else {
    mkdirSync(rootfs, { recursive: true })
    const layout = hostRootLayout(i.hostRoot, READ_ONLY)
    for (const s of layout.symlinks) symlinkSync(s.target, join(rootfs, s.name))
    rootMounts = [...layout.mounts, ...hiddenMounts(i.hidden ?? [])]
  }
  const { uid, gid } = processUser(user, i.flags.switch_user)
  const nested = i.parentPid !== undefined
  const ownNetwork = joinsNamedNetwork(launch.container, nested)
  const spec = baseSpec({
    argv, env, cwd, uid, gid, cgroupsPath: i.cgroupsPath, rootfs, rootMounts,
    sandbox: { host: launch.sandbox, container: sandboxInside },
    terminal: !!launch.tty,
    capabilities: defaultCapabilities(),
    ownNetwork,
    readOnly: READ_ONLY,
  })
  spec.root.readonly = !image
  if (nested) {
    // Nested containers share the parent's network, hostname and IPC (and pid, through namespaces/pid).
    for (const type of ['network', 'uts', 'ipc']) spec.linux.namespaces.push({ type, path: `/proc/${i.parentPid}/ns/${type === 'network' ? 'net' : type}` })
  }
  launch.isolate(spec)
  if (ownNetwork && !spec.linux.namespaces.some(n => n.type === 'network')) {
    throw new Error("this agent cannot give containers their own network: add 'network/cni' to --isolation and set --network_cni_config_dir")
  }
  if (useInit(launch.init, ownsPidNamespace(spec), i.init !== undefined)) {
    refuseMissingCommand(spec, image ? (image.mounts?.length ? undefined : image.rootfs) : '/')
    withInit(spec, i.init!)
  }
  if (launch.tty && launch.container?.tty_info?.window_size) {
    const w = launch.container.tty_info.window_size
    spec.process.consoleSize = { height: w.rows, width: w.columns }
  }
  return spec
}

/**
 * crun's own check that the command exists, made before the init is put in front of it (linux/command-lookup.ts):
 * `root` is the host directory the container's root comes from (undefined: unknown, no check). Paths under a mount
 * other than a host directory bound to itself are not judged, except inside a fresh tmpfs, where nothing exists.
 */
function refuseMissingCommand(spec: OciSpec, root: string | undefined) {
  if (!root) return
  const dest = (m: OciMount) => m.destination.replace(/\/+$/, '')
  const selfBound = (m: OciMount) => m.type === 'bind' && m.source === m.destination
  // crun fills /dev with device nodes: only the other tmpfs mounts start empty.
  const fresh = (m: OciMount) => m.type === 'tmpfs' && dest(m) !== '/dev' && !dest(m).startsWith('/dev/')
  const opaque = spec.mounts.filter(m => !selfBound(m) && !fresh(m)).map(dest)
  const empty = spec.mounts.filter(fresh).map(dest)
  const visible = spec.mounts.filter(selfBound).map(dest)
  const env = spec.process.env.find(e => e.startsWith('PATH='))?.slice(5)
  const argv0 = spec.process.args[0] ?? ''
  if (lookupCommand(argv0, env, spec.process.cwd, { root, opaque, empty, visible }) === 'missing') {
    throw new Error(`executable file \`${argv0}\` not found in $PATH: No such file or directory`)
  }
}

/**
 * Empty tmpfs mounts over the hidden host directories, right after the host root's binds: before the sandbox and the
 * task's volumes, so a volume whose host path lies inside a hidden directory (a GPU driver volume, say) still
 * appears where it is mounted. Hidden files get /dev/null bound over them. Paths that do not exist are skipped (the
 * read-only root has no place to put a mount point).
 */
export function hiddenMounts(hidden: readonly string[]): OciMount[] {
  const out: OciMount[] = []
  for (const path of hidden) {
    let st
    try { st = statSync(path) } catch { continue }
    if (st.isDirectory()) out.push({ destination: path, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'mode=755', 'size=64k'] })
    else out.push({ destination: path, type: 'bind', source: '/dev/null', options: ['bind', 'ro', 'nosuid', 'nodev', 'noexec'] })
  }
  return out
}

/** uid and gid of the task's user: numeric image users (`1000` or `1000:1000`) need no passwd entry on the agent. */
function processUser(user: string | undefined, switchUser: boolean): { uid: number; gid: number } {
  if (user && /^\d+(:\d+)?$/.test(user)) {
    const [u, g] = user.split(':').map(Number)
    return { uid: u!, gid: g ?? u! }
  }
  if (mustSwitchUser(user, switchUser)) {
    const u = lookupUser(user!)
    if (!u) throw new Error(`Failed to switch to user '${user}': no such user on this agent`)
    return { uid: u.uid, gid: u.gid }
  }
  return { uid: 0, gid: 0 }
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

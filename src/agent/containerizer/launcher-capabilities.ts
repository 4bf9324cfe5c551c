// What an agent's launcher can honour, and the refusal of a container asking for more. Nothing a task asks for is
// silently dropped: a ContainerInfo field (image, CNI network, TTY, volumes, rlimits, capabilities, seccomp,
// hostname), GPUs or an explicit init that this agent cannot give fails the launch before anything is created,
// with TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED (Mesos' MesosContainerizer refuses what no isolator or launcher
// supports the same way) and one message saying which agent, which launcher and why, what to change on the agent
// and what to drop from the task. `meso task run` prints it and exits 125. docs/containerizer.md.
//
// The decision (`unsupportedFeatures`, `refusalMessage`) is pure; `launcherSupport` reads the host once.

import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import type { Resources } from '../../core/resources.ts'
import type { ContainerInfo } from '../../core/v1/messages.ts'
import type { AgentFlags } from '../flags.ts'
import { joinsNamedNetwork, type Launcher } from './launcher.ts'

/** What this agent can do for containers, known at start. */
export interface LauncherSupport {
  /** The agent's hostname, for messages. */
  agent: string
  launcher: 'posix' | 'linux'
  /** posix: why the agent runs it instead of the linux launcher, and how to change that. */
  posix?: PosixReason
  /** The isolators that run (--isolation, as isolators/index.ts selected them). */
  isolators: readonly string[]
  /** A provisioner for container images is configured (--image_providers=docker). */
  images: boolean
  /** A static container init is installed (container-init.ts). */
  init: boolean
}

/** Why the posix launcher, as short as it fits in a message ("not root"), and the agent-side fix. */
export interface PosixReason { why: string; fix: string }

/** What a container asks for (the parts of a LaunchSpec this check reads). */
export interface ContainerRequest {
  container?: ContainerInfo
  resources: Resources
  tty?: boolean
  init?: boolean
  /** Nested containers share their parent's network and pid namespace. */
  parentId?: string
}

/** One thing the agent cannot do: what, how to make the agent able to, or what to drop from the task. */
export interface Unsupported {
  /** After "cannot": `run container images`. */
  what: string
  /** The agent-side fix: `add posix/rlimits to --isolation`. */
  fix: string
  /** What to drop from the task: `--image (ContainerInfo.mesos.image)`. */
  drop: string
}

/** Every feature the container asks for that this agent cannot honour; empty when it can run it as asked. */
export function unsupportedFeatures(req: ContainerRequest, s: LauncherSupport): Unsupported[] {
  const out: Unsupported[] = []
  const c = req.container
  const posix = s.launcher === 'posix' ? s.posix ?? { why: '--launcher=posix', fix: 'start the agent with --launcher=linux' } : undefined
  const has = (isolator: string) => s.isolators.includes(isolator)
  /** Needs the linux launcher; with it, `isolator` (when given) must run too. */
  const needs = (asked: boolean, what: string, drop: string, isolator?: { name: string; fix?: string }) => {
    if (!asked) return
    if (posix) out.push({ what, fix: posix.fix, drop })
    else if (isolator && !has(isolator.name)) out.push({ what, fix: isolator.fix ?? `add ${isolator.name} to --isolation`, drop })
  }

  if (c?.type === 'DOCKER') {
    out.push({ what: 'run ContainerInfo type DOCKER (there is no Docker containerizer)', fix: 'use type MESOS with mesos.image for a Docker image', drop: 'ContainerInfo.docker' })
  }
  const image = !!c?.mesos?.image
  if (image && posix) out.push({ what: 'run container images', fix: posix.fix, drop: '--image (ContainerInfo.mesos.image)' })
  else if (image && !s.images) out.push({ what: 'run container images', fix: 'start the agent with --image_providers=docker', drop: '--image (ContainerInfo.mesos.image)' })

  const networks = joinsNamedNetwork(c, !!req.parentId) ? (c?.network_infos ?? []).filter(n => n.name).map(n => `'${n.name}'`) : []
  needs(networks.length > 0, `join CNI network${networks.length > 1 ? 's' : ''} ${networks.join(', ')}`, '--network (ContainerInfo.network_infos)',
    { name: 'network/cni', fix: 'add network/cni to --isolation and set --network_cni_plugins_dir and --network_cni_config_dir' })
  needs(!!req.tty || !!c?.tty_info, 'give a task a terminal', '-t (ContainerInfo.tty_info)')
  // SECRET volumes are the volume/secret isolator's, which writes them into the sandbox with the posix launcher.
  const mounts = (c?.volumes ?? []).filter(v => v.source?.type !== 'SECRET').map(v => `'${v.container_path}'`)
  needs(mounts.length > 0, `mount volume${mounts.length > 1 ? 's' : ''} ${mounts.join(', ')}`, 'ContainerInfo.volumes')
  needs(!!c?.rlimit_info?.rlimits?.length, 'set rlimits', '--rlimit (ContainerInfo.rlimit_info)', { name: 'posix/rlimits' })
  const li = c?.linux_info
  needs(!!(li?.capability_info || li?.effective_capabilities || li?.bounding_capabilities), 'set capabilities', 'LinuxInfo capabilities')
  needs(!!li?.seccomp, 'apply seccomp settings', 'LinuxInfo.seccomp', { name: 'linux/seccomp' })
  needs(!!c?.hostname && !req.parentId, 'set a hostname', 'ContainerInfo.hostname')

  const gpus = req.resources.scalar('gpus')
  if (gpus > 0 && !has('gpu/nvidia')) out.push({ what: `give a task GPUs (${gpus} asked)`, fix: 'add gpu/nvidia to --isolation', drop: '--gpus (the gpus resource)' })

  if (req.init === true) {
    if (posix) out.push({ what: 'run a container init (its tasks are plain process trees, never PID 1)', fix: posix.fix, drop: `--init (label meso.io/init)` })
    else if (!s.init) out.push({ what: 'run a container init (catatonit is not installed)', fix: 'install catatonit (./install.sh, or apt-get install catatonit)', drop: '--init (label meso.io/init)' })
  }
  return out
}

/** "agent h (posix launcher: not root) cannot run container images and set rlimits; <fix>, or drop --image and --rlimit". */
export function refusalMessage(s: LauncherSupport, unsupported: Unsupported[]): string {
  const launcher = s.launcher === 'posix' ? `posix launcher: ${s.posix?.why ?? '--launcher=posix'}` : 'linux launcher'
  const fixes = [...new Set(unsupported.map(u => u.fix))]
  return `agent ${s.agent} (${launcher}) cannot ${list(unsupported.map(u => u.what))}; ${fixes.join('; ')}, or drop ${list([...new Set(unsupported.map(u => u.drop))])}`
}

function list(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

/**
 * Why an agent runs the posix launcher (the same checks as the linux launcher's availability in
 * linux-launcher.ts), for refusal messages.
 */
export function posixLauncherReason(o: { launcherFlag?: string; ociRuntime?: string; uid?: number; which: (name: string) => string | null; exists: (path: string) => boolean }): PosixReason {
  if (o.launcherFlag === 'posix') return { why: '--launcher=posix', fix: 'start the agent with --launcher=linux' }
  if (o.uid !== 0) return { why: 'not root', fix: 'run the agent as root with crun and conmon installed (./install.sh)' }
  if (o.ociRuntime && !o.exists(o.ociRuntime)) return { why: `--oci_runtime ${o.ociRuntime} does not exist`, fix: 'fix --oci_runtime' }
  if (!o.ociRuntime && !o.which('crun')) return { why: 'crun is not installed', fix: 'install crun and conmon (./install.sh)' }
  if (!o.which('conmon')) return { why: 'conmon is not installed', fix: 'install crun and conmon (./install.sh)' }
  return { why: '--launcher=posix', fix: 'start the agent with --launcher=linux' }
}

/** Thrown by `refuseUnsupported`: the executors report it as REASON_CONTAINER_LAUNCH_FAILED with this message. */
export class LaunchRefused extends Error {}

/** Throws LaunchRefused when the container asks for anything this agent cannot honour. */
export function refuseUnsupported(req: ContainerRequest, s: LauncherSupport): void {
  const unsupported = unsupportedFeatures(req, s)
  if (unsupported.length) throw new LaunchRefused(refusalMessage(s, unsupported))
}

/** This agent's support, from its launcher, isolators, provisioner and flags (reads the host: uid, PATH). */
export function launcherSupport(o: {
  launcher: Pick<Launcher, 'name' | 'init'>
  isolators: readonly string[]
  images: boolean
  flags: Pick<AgentFlags, 'hostname' | 'launcher' | 'oci_runtime'>
}): LauncherSupport {
  return {
    agent: o.flags.hostname ?? hostname(),
    launcher: o.launcher.name,
    posix: o.launcher.name === 'posix'
      ? posixLauncherReason({ launcherFlag: o.flags.launcher, ociRuntime: o.flags.oci_runtime, uid: process.getuid?.(), which: n => Bun.which(n), exists: existsSync })
      : undefined,
    isolators: o.isolators,
    images: o.images,
    init: !!o.launcher.init,
  }
}

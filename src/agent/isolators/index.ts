// The isolators, chosen by Mesos' --isolation flag syntax (comma-separated names) from the one table below. Adding
// an isolator is one row here and a module of its own; the containerizer runs them in table order (cleanup in
// reverse), whatever the order in the flag. See docs/containerizer.md.

import type { Resources } from '../../core/resources.ts'
import type { Attribute } from '../../core/v1/messages.ts'
import type { AgentFlags } from '../flags.ts'
import { cgroupsCpu } from './cgroups-cpu.ts'
import { cgroupsMem } from './cgroups-mem.ts'
import { cgroupsPids } from './cgroups-pids.ts'
import { lazyStatsReader, type CgroupStats } from './cgroups/stats.ts'
import { filesystemLinux } from './filesystem-linux.ts'
import { GPU_ISOLATOR, refuseGpuDevicesWithoutIsolator } from './gpu/gpu-flags.ts'
import type { Isolator } from './isolator.ts'
import { createLinuxCapabilities } from './linux-capabilities.ts'
import { createLinuxSeccomp } from './linux-seccomp.ts'
import { namespacesIpc, namespacesPid } from './namespaces.ts'
import { cniWanted } from './network/cni/cni-wanted.ts'
import { posixRlimits } from './posix-rlimits.ts'
import { posixUsage } from './posix-usage.ts'
import { unsupportedLinuxSecurity } from './task-security.ts'
import { createVolumeSecret } from './volume-secret.ts'
import { createPersistentVolumeIsolator } from '../volumes/persistent-volume-isolator.ts'

/** What an isolator may need to be made. */
export interface IsolatorSetup {
  flags: AgentFlags
  launcher: 'linux' | 'posix'
  runtimeDir: string
  /** What the agent offers; gpu/nvidia adds its GPUs to the resources and their models to the attributes. */
  offer: { resources: Resources; attributes: Attribute[] }
  /** The host's cgroup statistics, read by the cgroups isolators (detected on first use). */
  cgroupStats: () => CgroupStats
  /** The agent's work dir, where persistent volumes live (volumes/roles/<role>/<id>); else --work_dir. */
  workDir?: string
}

type IsolatorFactory = (s: IsolatorSetup) => Isolator | undefined | Promise<Isolator | undefined>

/** --isolation name → isolator, in the order isolators run. */
const ISOLATORS: Record<string, IsolatorFactory> = {
  'cgroups/cpu': s => cgroupsCpu(s.cgroupStats),
  'cgroups/mem': s => cgroupsMem(s.cgroupStats),
  'cgroups/pids': s => cgroupsPids(s.cgroupStats),
  'namespaces/pid': () => namespacesPid,
  'namespaces/ipc': () => namespacesIpc,
  'filesystem/linux': () => filesystemLinux,
  'posix/rlimits': () => posixRlimits,
  'linux/capabilities': s => createLinuxCapabilities(s.flags),
  // After linux/capabilities: the profile's capability rules follow the container's bounding set.
  'linux/seccomp': s => createLinuxSeccomp(s.flags),
  // Loaded only when selected: an agent without CNI never pays for its modules (idle RSS, README Performance).
  'network/cni': async s => (await import('./network/cni/attach.ts')).createCniIsolator(s.launcher, s.flags, s.runtimeDir),
  [GPU_ISOLATOR]: async s => {
    const { setupNvidiaGpus } = await import('./gpu/setup.ts')
    const gpu = await setupNvidiaGpus({ flags: s.flags, runtimeDir: s.runtimeDir, launcher: s.launcher, ...s.offer })
    s.offer = { resources: gpu.resources, attributes: gpu.attributes }
    return gpu.isolator
  },
}

/**
 * Accepted for compatibility and providing nothing of their own: posix/cpu and posix/mem are what the posix launcher
 * always has (posix-usage.ts) and the cgroups isolators supersede; the rest are done by the launcher, the
 * provisioner, or not supported.
 */
const ACCEPTED = new Set([
  'posix/cpu', 'posix/mem', 'posix/disk', 'cgroups/all', 'cgroups/cpuacct', 'cgroups/devices', 'docker/runtime', 'volume/sandbox_path', 'volume/host_path',
  'docker/volume', 'volume/image', 'volume/secret', 'environment_secret', 'disk/du', 'disk/xfs', 'net/port_mapping', 'network/port_mapping',
])

export const DEFAULT_LINUX_ISOLATION = 'cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid,filesystem/linux,posix/rlimits,linux/capabilities,linux/seccomp'
export const DEFAULT_POSIX_ISOLATION = 'posix/cpu,posix/mem'

export class IsolationFlagError extends Error {}

/**
 * The isolators --isolation selects (the launcher's default without it), in table order. The linux launcher always
 * gives containers their own mount namespace and root, so filesystem/linux is implied, and always sets their
 * capabilities, so linux/capabilities is too (no root task keeps the agent's capabilities unasked,
 * docs/security-tasks.md); both CNI directories imply network/cni. Throws for unknown names.
 */
export function isolatorNames(flags: Pick<AgentFlags, 'isolation' | 'network_cni_plugins_dir' | 'network_cni_config_dir'>, launcher: 'linux' | 'posix'): string[] {
  const given = (flags.isolation ?? (launcher === 'linux' ? DEFAULT_LINUX_ISOLATION : DEFAULT_POSIX_ISOLATION)).split(',').map(s => s.trim()).filter(Boolean)
  for (const n of given) {
    if (!ISOLATORS[n] && !ACCEPTED.has(n)) throw new IsolationFlagError(`--isolation: unknown isolator '${n}' (known: ${[...Object.keys(ISOLATORS), ...ACCEPTED].join(', ')})`)
  }
  const selected = new Set(given)
  if (launcher === 'linux') selected.add('filesystem/linux').add('linux/capabilities')
  if (cniWanted(flags)) selected.add('network/cni')
  return Object.keys(ISOLATORS).filter(n => selected.has(n))
}

/**
 * Makes the isolators the flags select. With the posix launcher only those that work without crun stay (gpu/nvidia:
 * environment only), after posix/cpu,posix/mem; the others are ignored, as the posix launcher always did. What a
 * container's LinuxInfo asks of capabilities or seccomp is never ignored, though: where no isolator can apply it
 * (posix launcher; linux/seccomp left out of --isolation) a check fails that container's launch.
 */
export async function createIsolators(setup: IsolatorSetup): Promise<Isolator[]> {
  const names = isolatorNames(setup.flags, setup.launcher)
  if (!names.includes(GPU_ISOLATOR)) refuseGpuDevicesWithoutIsolator(setup.flags.nvidia_gpu_devices)
  const isolators: Isolator[] = setup.launcher === 'posix' ? [posixUsage] : []
  if (setup.launcher === 'posix') {
    const why = 'this agent runs tasks with the posix launcher (no containers); it needs --launcher=linux'
    isolators.push(unsupportedLinuxSecurity({ capabilities: why, seccomp: why }))
  } else if (!names.includes('linux/seccomp')) {
    isolators.push(unsupportedLinuxSecurity({ seccomp: "this agent's --isolation does not include linux/seccomp" }))
  }
  for (const name of names) {
    const isolator = await ISOLATORS[name]!(setup)
    if (isolator && (setup.launcher === 'linux' || isolator.posix)) isolators.push(isolator)
  }
  // Always, with either launcher: a task's persistent volumes are mounted (linux) or linked (posix), never dropped.
  isolators.push(createPersistentVolumeIsolator(setup.launcher, setup.workDir ?? setup.flags.work_dir, setup.flags.switch_user))
  // Always, with either launcher and whatever --isolation says: a task's secret volume is honoured or its launch
  // fails, never dropped (docs/security-secrets.md). Last, so its mounts go over the other volumes.
  isolators.push(createVolumeSecret(setup.launcher, setup.runtimeDir, setup.flags.switch_user))
  return isolators
}

/** The setup for `createIsolators`, with the host's cgroup statistics. */
export function isolatorSetup(s: Omit<IsolatorSetup, 'cgroupStats'>): IsolatorSetup {
  return { ...s, cgroupStats: lazyStatsReader() }
}

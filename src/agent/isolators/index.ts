// The isolators, chosen by Mesos' --isolation flag syntax (comma-separated names).

import { cgroupsCpu } from './cgroups-cpu.ts'
import { cgroupsMem } from './cgroups-mem.ts'
import { cgroupsPids } from './cgroups-pids.ts'
import { filesystemLinux } from './filesystem-linux.ts'
import type { Isolator } from './isolator.ts'
import { linuxCapabilities } from './linux-capabilities.ts'
import { namespacesIpc, namespacesPid } from './namespaces.ts'
import { posixRlimits } from './posix-rlimits.ts'

const ISOLATORS: Record<string, Isolator> = Object.fromEntries(
  [cgroupsCpu, cgroupsMem, cgroupsPids, namespacesPid, namespacesIpc, filesystemLinux, posixRlimits, linuxCapabilities].map(i => [i.name, i]),
)

/** Accepted for compatibility; they add nothing on top of the linux launcher (or are provided by it). */
const IMPLIED = new Set(['posix/cpu', 'posix/mem', 'posix/disk', 'cgroups/all', 'cgroups/cpuacct', 'cgroups/devices', 'docker/runtime', 'volume/sandbox_path', 'volume/host_path'])
/** Isolators provided elsewhere (CNI networking, GPUs, images) and resolved by their own modules. */
const EXTERNAL = new Set(['network/cni', 'gpu/nvidia', 'docker/volume', 'volume/image', 'volume/secret', 'environment_secret', 'disk/du', 'disk/xfs', 'net/port_mapping', 'network/port_mapping'])

export const DEFAULT_LINUX_ISOLATION = 'cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid,filesystem/linux,posix/rlimits'

export class IsolationFlagError extends Error {}

/** Parses --isolation into the isolators that shape a container's spec, plus the names handled by other modules. */
export function parseIsolation(flag: string | undefined): { isolators: Isolator[]; external: Set<string> } {
  const names = (flag ?? DEFAULT_LINUX_ISOLATION).split(',').map(s => s.trim()).filter(Boolean)
  const isolators: Isolator[] = []
  const external = new Set<string>()
  for (const n of names) {
    if (ISOLATORS[n]) { if (!isolators.includes(ISOLATORS[n]!)) isolators.push(ISOLATORS[n]!) }
    else if (EXTERNAL.has(n)) external.add(n)
    else if (!IMPLIED.has(n)) throw new IsolationFlagError(`--isolation: unknown isolator '${n}' (known: ${[...Object.keys(ISOLATORS), ...EXTERNAL, ...IMPLIED].join(', ')})`)
  }
  // The linux launcher always gives containers their own mount namespace and root: filesystem/linux is implied.
  if (!isolators.includes(filesystemLinux)) isolators.push(filesystemLinux)
  return { isolators, external }
}

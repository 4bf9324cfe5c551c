// cgroups/mem: a hard memory limit equal to the `mem` resource (Mesos' minimum 32 MB), swap off (memsw = limit);
// reports the mem_* statistics. It also watches for the kernel's OOM killer, as Mesos' memory subsystem does
// (src/slave/containerizer/mesos/isolators/cgroups/subsystems/memory.cpp): a container it hit ends with
// REASON_CONTAINER_LIMITATION_MEMORY. The kill ends the container by itself, so the check runs once it has
// exited, while its cgroup is still there: conmon's `oom` marker (Termination.oomKilled) or the cgroup's counter.

import type { Termination } from '../containerizer/launcher.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'
import type { CgroupStats } from './cgroups/stats.ts'
import { resourcesOf, sharesParentCgroups, type ContainerLimitation, type ContainerRef, type IsolationContext, type Isolator } from './isolator.ts'

export const MIN_MEMORY_MB = 32

const MiB = 1024 * 1024

export function cgroupsMem(stats: () => CgroupStats): Isolator {
  return {
    name: 'cgroups/mem',
    isolate(spec: OciSpec, ctx: IsolationContext) {
      if (sharesParentCgroups(ctx)) return
      const mb = ctx.resources.scalar('mem')
      if (!mb) return
      const limit = Math.max(MIN_MEMORY_MB, mb) * MiB
      resourcesOf(spec).memory = { limit, swap: limit }
    },
    usage: c => (c.cgroupsPath ? stats().memory(c.cgroupsPath) : {}),
    watch: async (c: ContainerRef, exited: Promise<Termination>) => {
      const t = await exited
      const cg = c.cgroupsPath
      if (t.unknown || !cg) return undefined
      if (!t.oomKilled && stats().oomKills(cg) === 0) return undefined
      return memoryLimitation(stats().memoryLimit(cg), stats().memoryPeak(cg))
    },
  }
}

export function memoryLimitation(limit: number | undefined, peak: number | undefined): ContainerLimitation {
  const mb = (b: number | undefined) => (b === undefined ? 'unknown' : `${Math.round(b / MiB)}MB`)
  return {
    reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
    message: `Memory limit exceeded: Requested: ${mb(limit)} Maximum Used: ${mb(peak ?? limit)}`,
    resources: limit ? [{ name: 'mem', type: 'SCALAR', scalar: { value: limit / MiB } }] : undefined,
  }
}

// cgroups/cpu: CPU shares from the `cpus` resource (1024 per CPU, at least 2), plus a hard CFS quota with
// --cgroups_enable_cfs (at least 1 ms per 100 ms period), as Mesos does; reports the cpus_* statistics.

import type { OciSpec } from '../containerizer/oci-spec.ts'
import type { CgroupStats } from './cgroups/stats.ts'
import { resourcesOf, sharesParentCgroups, type IsolationContext, type Isolator } from './isolator.ts'

export const CPU_SHARES_PER_CPU = 1024
export const CFS_PERIOD_US = 100_000

export function cgroupsCpu(stats: () => CgroupStats): Isolator {
  return {
    name: 'cgroups/cpu',
    isolate(spec: OciSpec, ctx: IsolationContext) {
      if (sharesParentCgroups(ctx)) return
      const cpus = ctx.resources.scalar('cpus')
      if (!cpus) return
      const cpu: NonNullable<NonNullable<OciSpec['linux']['resources']>['cpu']> = { shares: Math.max(2, Math.floor(cpus * CPU_SHARES_PER_CPU)) }
      if (ctx.flags.cgroups_enable_cfs) {
        cpu.period = CFS_PERIOD_US
        cpu.quota = Math.max(1000, Math.round(cpus * CFS_PERIOD_US))
      }
      resourcesOf(spec).cpu = cpu
    },
    usage: c => (c.cgroupsPath ? stats().cpu(c.cgroupsPath) : {}),
  }
}

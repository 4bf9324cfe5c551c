// cgroups/pids: caps the number of processes a container may have (--container_pids_limit), so a fork bomb stops at
// the limit instead of exhausting the host; reports `processes`.

import type { OciSpec } from '../containerizer/oci-spec.ts'
import type { CgroupStats } from './cgroups/stats.ts'
import { resourcesOf, sharesParentCgroups, type IsolationContext, type Isolator } from './isolator.ts'

export function cgroupsPids(stats: () => CgroupStats): Isolator {
  return {
    name: 'cgroups/pids',
    isolate(spec: OciSpec, ctx: IsolationContext) {
      if (sharesParentCgroups(ctx)) return
      const limit = ctx.flags.container_pids_limit
      if (limit > 0) resourcesOf(spec).pids = { limit }
    },
    usage: c => (c.cgroupsPath ? stats().pids(c.cgroupsPath) : {}),
  }
}

// cgroups/pids: caps the number of processes a container may have (--container_pids_limit), so a fork bomb stops at
// the limit instead of exhausting the host.

import { resourcesOf, sharesParentCgroups, type IsolationContext, type Isolator } from './isolator.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'

export const cgroupsPids: Isolator = {
  name: 'cgroups/pids',
  isolate(spec: OciSpec, ctx: IsolationContext) {
    if (sharesParentCgroups(ctx)) return
    const limit = Number(ctx.flags.container_pids_limit ?? 4096)
    if (limit > 0) resourcesOf(spec).pids = { limit }
  },
}

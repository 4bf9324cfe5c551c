// cgroups/mem: a hard memory limit equal to the `mem` resource (Mesos' minimum 32 MB), swap off (memsw = limit).
// Exceeding it gets the container OOM-killed; the launcher reports REASON_CONTAINER_LIMITATION_MEMORY.

import { resourcesOf, sharesParentCgroups, type IsolationContext, type Isolator } from './isolator.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'

export const MIN_MEMORY_MB = 32

export const cgroupsMem: Isolator = {
  name: 'cgroups/mem',
  isolate(spec: OciSpec, ctx: IsolationContext) {
    if (sharesParentCgroups(ctx)) return
    const mb = ctx.resources.scalar('mem')
    if (!mb) return
    const limit = Math.max(MIN_MEMORY_MB, mb) * 1024 * 1024
    resourcesOf(spec).memory = { limit, swap: limit }
  },
}

// filesystem/linux: the container's own mount namespace and root (host root read-only or an image, set up by the
// launcher) with the sandbox at --sandbox_directory; this isolator adds ContainerInfo.volumes: host paths
// (`host_path` or `source.host_path`) and sandbox paths (`source.sandbox_path`: SELF, or PARENT for nested containers
// such as the tasks of a group), read-only or read-write. A read-only volume is read-only all the way down (`rro`
// where the kernel has it), as the host root is (docs/security-tasks.md).

import { release } from 'node:os'
import { isAbsolute, join, normalize } from 'node:path'
import { readOnlyBindOption, type OciSpec } from '../containerizer/oci-spec.ts'
import { IsolationError, type IsolationContext, type Isolator } from './isolator.ts'

const READ_ONLY = readOnlyBindOption(release())

export const filesystemLinux: Isolator = {
  name: 'filesystem/linux',
  isolate(spec: OciSpec, ctx: IsolationContext) {
    for (const v of ctx.container?.volumes ?? []) {
      if (v.source?.type === 'SECRET') continue // volume/secret (volume-secret.ts) mounts these
      if (v.image || v.source?.type === 'DOCKER_VOLUME' || v.source?.type === 'CSI_VOLUME') {
        throw new IsolationError(`Volume at '${v.container_path}': ${v.image ? 'image volumes' : `${v.source?.type} volumes`} are not supported by this agent`)
      }
      const dest = isAbsolute(v.container_path) ? v.container_path : join(ctx.sandbox.container, v.container_path)
      let source: string | undefined = v.source?.host_path?.path ?? v.host_path
      if (v.source?.sandbox_path) {
        const parent = v.source.sandbox_path.type === 'PARENT'
        if (parent && !ctx.parent?.sandbox) throw new IsolationError(`Volume at '${v.container_path}': PARENT sandbox paths need a nested container`)
        const rel = normalize(v.source.sandbox_path.path)
        if (rel.startsWith('..') || isAbsolute(rel)) throw new IsolationError(`Volume at '${v.container_path}': sandbox path '${v.source.sandbox_path.path}' escapes the sandbox`)
        source = join(parent ? ctx.parent!.sandbox! : ctx.sandbox.host, rel)
      }
      if (!source) throw new IsolationError(`Volume at '${v.container_path}' has no source`)
      if (!isAbsolute(source)) source = join(ctx.sandbox.host, source)
      spec.mounts.push({ destination: dest, type: 'bind', source, options: ['rbind', v.mode === 'RO' ? READ_ONLY : 'rw'] })
    }
  },
}

// One interface for every isolator chosen by --isolation (style.md: containerd-like plugins). With crun most
// isolation is declarative, so an isolator contributes its part of the container's OCI spec; stats come from the
// cgroup readers. Adding an isolator never touches the others.

import type { Resources } from '../../core/resources.ts'
import type { ContainerInfo } from '../../core/v1/messages.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'

export interface IsolationContext {
  containerId: string
  /** Set for nested containers (task groups, exec sessions). */
  parent?: { containerId: string; pid: number; cgroupsPath: string; sandbox?: string }
  cgroupsPath: string
  resources: Resources
  container?: ContainerInfo
  flags: Record<string, any>
  sandbox: { host: string; container: string }
}

/** Bad task input found at launch time (e.g. an rlimit above what the agent may grant). */
export class IsolationError extends Error {}

export interface Isolator {
  readonly name: string
  isolate(spec: OciSpec, ctx: IsolationContext): void
}

/** Nested containers share their parent's cgroup limits unless LinuxInfo.share_cgroups is false (Mesos' default). */
export const sharesParentCgroups = (ctx: IsolationContext) => !!ctx.parent && ctx.container?.linux_info?.share_cgroups !== false

export function resourcesOf(spec: OciSpec) {
  return (spec.linux.resources ??= {})
}

// The isolator interface, with the lifecycle of Mesos' include/mesos/slave/isolator.hpp: every hook is optional and
// an isolator implements only those it needs. The containerizer (src/agent/containerizer/containerizer.ts) calls
// them, in --isolation order (cleanup in reverse); an isolator never knows about the others. See docs/containerizer.md.
//
// One difference from Mesos: there, `isolate(containerId, pid)` acts on the forked process (moves it into cgroups,
// enters namespaces). Under crun all of that is declared in the OCI spec before `crun create`, so here `isolate`
// writes the isolator's part of the container's spec and runs only with the linux launcher.

import type { Resources } from '../../core/resources.ts'
import type { ContainerInfo, NetworkInfo } from '../../core/v1/messages.ts'
import type { Termination } from '../containerizer/launcher.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'
import type { AgentFlags } from '../flags.ts'

/** What an isolator is told about a container being launched. */
export interface IsolationContext {
  containerId: string
  /** Set for nested containers (task groups, nested containers of the operator API). */
  parent?: { containerId: string; pid: number; sandbox?: string }
  resources: Resources
  container?: ContainerInfo
  flags: AgentFlags
  /** The sandbox on the host and where it appears inside the container. */
  sandbox: { host: string; container: string }
  /** The user the container's process runs as, when the task names one (volume/secret gives it its files). */
  user?: string
  /** The environment the container's process starts with (before the isolators' additions). */
  env: Record<string, string>
}

/** A container the containerizer knows, as isolators see it after it was created (or recovered). */
export interface ContainerRef {
  containerId: string
  /** Its cgroup (an OCI cgroupsPath such as /meso/<id>), with the linux launcher. */
  cgroupsPath?: string
  /** Its main process, while it runs. */
  pid?: number
}

/** Mesos' ContainerLimitation: why an isolator ended a container (TaskStatus reason, message, resources). */
export interface ContainerLimitation {
  reason: string
  message: string
  resources?: unknown[]
}

/** What `prepare` may return, as Mesos' ContainerLaunchInfo: environment for launchers without an OCI spec (posix). */
export interface LaunchInfo {
  env?: Record<string, string>
}

/** Bad task input found at launch time (e.g. an rlimit above what the agent may grant). */
export class IsolationError extends Error {}

export interface Isolator {
  readonly name: string
  /** Works with the posix launcher too; the others shape the OCI spec and need the linux launcher (crun). */
  readonly posix?: boolean
  /** After an agent restart: re-adopt the state of `containers`; forget (and release) whatever belongs to no other. */
  recover?(containers: ContainerRef[]): Promise<void> | void
  /** Before the container exists: acquire what it needs (GPUs, a network namespace). Always followed by `cleanup`. */
  prepare?(ctx: IsolationContext): Promise<LaunchInfo | void> | LaunchInfo | void
  /** Writes the isolator's part of the container's OCI spec (linux launcher); throws IsolationError for bad input. */
  isolate?(spec: OciSpec, ctx: IsolationContext): void
  /**
   * Resolves with a limitation the container hit, or with undefined once it has exited without one (`exited`). A
   * limitation while the container runs ends it; either way it is reported in the container's Termination.
   */
  watch?(container: ContainerRef, exited: Promise<Termination>): Promise<ContainerLimitation | undefined>
  /** New resources for a running container. */
  update?(container: ContainerRef, resources: Resources): Promise<void> | void
  /** Its part of the container's ResourceStatistics (field names of mesos.v1.ResourceStatistics). */
  usage?(container: ContainerRef): Promise<Record<string, number>> | Record<string, number>
  /** Its part of the container's ContainerStatus (network/cni: the container's addresses). */
  status?(containerId: string): { network_infos?: NetworkInfo[] } | undefined
  /** After the container is gone: release what `prepare` acquired. Also called for containers it never saw. */
  cleanup?(containerId: string): Promise<void> | void
}

/** Nested containers share their parent's cgroup limits unless LinuxInfo.share_cgroups is false (Mesos' default). */
export const sharesParentCgroups = (ctx: IsolationContext) => !!ctx.parent && ctx.container?.linux_info?.share_cgroups !== false

export function resourcesOf(spec: OciSpec) {
  return (spec.linux.resources ??= {})
}

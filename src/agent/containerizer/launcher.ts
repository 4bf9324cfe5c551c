// What a container is asked to be (LaunchSpec), what ends it (Termination), and the contract every launcher
// fulfils (posix: a supervised process tree; linux: an OCI container under conmon). A launcher owns no task process:
// each container has an external supervisor that records the exit status in a file, so the agent can be `kill -9`ed
// and re-adopt its containers from the checkpointed `data`. The containerizer (containerizer.ts) drives launchers.

import type { Resources } from '../../core/resources.ts'
import type { CommandInfo, ContainerInfo } from '../../core/v1/messages.ts'
import type { ContainerLimitation } from '../isolators/isolator.ts'
import type { ContainerInit } from './container-init.ts'
import type { OciSpec } from './oci-spec.ts'
import type { ProvisionedImage } from './provisioner.ts'

export interface LaunchSpec {
  containerId: string
  /** Parent container id for nested containers (task groups, exec sessions). */
  parentId?: string
  /** Host directory of the sandbox (also the working directory). */
  sandbox: string
  /** Program and arguments, already resolved from CommandInfo (shell → /bin/sh -c). */
  argv: string[]
  /** The CommandInfo argv came from; with an image, Entrypoint/Cmd rules are applied to it instead. */
  command?: CommandInfo
  env: Record<string, string>
  /** Run as this user when the agent is root and --switch_user is on. */
  user?: string
  resources: Resources
  container?: ContainerInfo
  /** Keep an input channel open (exec -i, attach). */
  stdin?: boolean
  /** Allocate a pseudo terminal (ContainerInfo.tty_info or exec -t). */
  tty?: boolean
  /** Aborts the launch while its image is still being pulled (the task was killed); docs/security-files.md. */
  signal?: AbortSignal
  /**
   * Run a container init as PID 1 (container-init.ts): true (`--init`, label `meso.io/init=true`) or false
   * (`--no-init`); undefined: the default, an init wherever the task would be PID 1 of its own pid namespace.
   */
  init?: boolean
}

/** What the containerizer hands a launcher: the launch, its provisioned image and the isolators' part of the spec. */
export interface ContainerLaunch extends LaunchSpec {
  /** The container's root filesystem and image config (linux launcher; provisioned by the containerizer). */
  image?: ProvisionedImage
  /** Writes the isolators' parts into the container's OCI spec (linux launcher; the posix launcher has no spec). */
  isolate(spec: OciSpec): void
}

export interface Launched {
  pid: number
  /** Launcher data checkpointed so the container can be re-adopted after an agent restart. */
  data: Record<string, unknown>
}

export interface Termination {
  /** Exit code (0-255); 128+N when killed by signal N (shell convention). Undefined when unknowable. */
  exitCode?: number
  /** Raw POSIX wait status (exit code × 256, or the signal number). */
  waitStatus?: number
  /** An isolator's limitation (e.g. memory) ended the container (set by the containerizer). */
  limitation?: ContainerLimitation
  /** The kernel's OOM killer killed a process of the container (conmon's `oom` marker); cgroups/mem reports it. */
  oomKilled?: boolean
  /** Set when the exit status could not be learnt (supervisor lost). */
  unknown?: string
}

/**
 * Termination.unknown of a container that was still being launched when the agent stopped: its checkpoint has no
 * launcher data, so there is nothing to re-adopt (and no monitor that could have recorded anything).
 */
export const LAUNCH_INTERRUPTED = 'the agent stopped while the container was being launched'

export interface RecoveredContainer {
  containerId: string
  data: Record<string, unknown>
  /** The container it is nested in (checkpointed with it). */
  parentId?: string
}

/**
 * A launcher creates, starts, waits for and destroys the processes of containers, as Mesos' launcher
 * (src/slave/containerizer/mesos/launcher.hpp); the containerizer does the rest. Containers are supervised outside
 * the agent (a shell monitor, or conmon), so a restarted agent re-adopts them from the checkpointed `data`.
 */
export interface Launcher {
  readonly name: 'posix' | 'linux'
  /** One-time host preparation; throws with a clear message when the launcher cannot work here. */
  prepare(): Promise<void>
  /** The container init run as PID 1 (linux, once prepared, when one is installed); the posix launcher has none. */
  readonly init?: ContainerInit
  /** Creates the container; its process does not run the task before `start` (posix: it does at once). */
  create(launch: ContainerLaunch): Promise<Launched>
  start(containerId: string): Promise<void>
  /** Resolves once, when the container's main process has exited (works for re-adopted containers too). */
  wait(containerId: string): Promise<Termination>
  /** Sends a signal to every process of the container. */
  kill(containerId: string, signal: NodeJS.Signals): Promise<void>
  /** Kills what is left and removes runtime state (cgroups, runtime dirs). The sandbox stays. */
  destroy(containerId: string): Promise<void>
  /** Re-adopts checkpointed containers (those that ended meanwhile resolve `wait` with their status). */
  recover(containers: RecoveredContainer[]): Promise<void>
  /** Destroys containers found on the host that the checkpoint does not know; returns their ids. */
  cleanupOrphans(known: Set<string>): Promise<string[]>
  /** The pid of the container's main process while it runs. */
  pid(containerId: string): number | undefined
  /** The container's cgroup, for launchers that place containers in cgroups (linux). */
  cgroupsPath?(containerId: string): string | undefined
  /** The command of a task group's executor container, owning the namespaces its tasks share; none where containers do not nest (posix). */
  readonly groupCommand?: string[]
  /** The switchboard of a container started with a TTY or stdin (undefined for plain containers). */
  io?(containerId: string): ContainerIO | undefined
  /** Runs a process inside a running container, sharing all its namespaces and its root filesystem. */
  exec(containerId: string, spec: ExecSpec): Promise<ExecProcess>
}

/** Mesos: a NetworkInfo without a name means the host network; nested containers share their parent's. */
export function joinsNamedNetwork(container: ContainerInfo | undefined, nested: boolean): boolean {
  return !nested && !!container?.network_infos?.some(n => n.name)
}

/** A container's standard streams, as attach and exec use them (Mesos' IO switchboard). */
export interface ContainerIO {
  /** One PTY (stdout carries everything) or separate pipes. */
  readonly tty: boolean
  /** Whether input can be written (the container was started with stdin or a TTY). */
  readonly stdin: boolean
  /** Output from now on; `onEnd` when the container's output ends. Returns an unsubscribe function. */
  onOutput(fn: (stream: 'stdout' | 'stderr', data: Uint8Array) => void, onEnd: () => void): () => void
  writeStdin(data: Uint8Array): void
  /** EOF on stdin (for a TTY, callers send EOT instead). */
  closeStdin(): void
  resize(rows: number, cols: number): void
}

/** A process started inside a running container (`task exec`, LAUNCH_NESTED_CONTAINER_SESSION). */
export interface ExecProcess {
  readonly io: ContainerIO
  wait(): Promise<Termination>
  kill(signal: NodeJS.Signals | number): void
}

export interface ExecSpec {
  argv: string[]
  env: Record<string, string>
  tty: boolean
  /** Initial window size for a TTY. */
  size?: { rows: number; cols: number }
  user?: string
}

// Wait status ↔ exit code lives in src/core/exit-status.ts (docs/exit-status.md); re-exported for the launchers.
export { waitStatusOf } from '../../core/exit-status.ts'

/** Argument vector for a CommandInfo, as the Mesos command executor builds it. */
export function commandArgv(cmd: { shell?: boolean; value?: string; arguments?: string[] }): string[] {
  if (cmd.shell !== false) return ['/bin/sh', '-c', cmd.value ?? '']
  const args = cmd.arguments?.length ? cmd.arguments.slice(1) : []
  return [cmd.value ?? '', ...args]
}

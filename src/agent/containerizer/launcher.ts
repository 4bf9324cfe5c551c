// The contract every launcher fulfils (posix: a supervised process tree; linux: an OCI container under conmon).
// A launcher owns no task process: each container has an external supervisor that records the exit status in a
// file, so the agent can be `kill -9`ed and re-adopt its containers from the checkpointed `data`.

import type { Resources } from '../../core/resources.ts'
import type { ContainerInfo, NetworkInfo } from '../../core/v1/messages.ts'

export interface LaunchSpec {
  containerId: string
  /** Parent container id for nested containers (task groups, exec sessions). */
  parentId?: string
  /** Host directory of the sandbox (also the working directory). */
  sandbox: string
  /** Program and arguments, already resolved from CommandInfo (shell → /bin/sh -c). */
  argv: string[]
  /** The CommandInfo argv came from; with an image, Entrypoint/Cmd rules are applied to it instead. */
  command?: import('../../core/v1/messages.ts').CommandInfo
  env: Record<string, string>
  /** Run as this user when the agent is root and --switch_user is on. */
  user?: string
  resources: Resources
  container?: ContainerInfo
  /** Keep an input channel open (exec -i, attach). */
  stdin?: boolean
  /** Allocate a pseudo terminal (ContainerInfo.tty_info or exec -t). */
  tty?: boolean
}

export interface Launched {
  pid: number
  /** Launcher data checkpointed so the container can be re-adopted after an agent restart. */
  data: Record<string, unknown>
  /** Extra status to report (network_infos, etc.). */
  status?: { networkInfos?: unknown[] }
}

export interface Termination {
  /** Exit code (0-255); 128+N when killed by signal N (shell convention). Undefined when unknowable. */
  exitCode?: number
  /** Raw POSIX wait status (exit code × 256, or the signal number). */
  waitStatus?: number
  /** The container exceeded a limit (e.g. memory) and was killed by the kernel. */
  limitation?: { reason: string; message: string; resources?: unknown[] }
  /** Set when the exit status could not be learnt (supervisor lost). */
  unknown?: string
}

export interface RecoveredContainer { containerId: string; data: Record<string, unknown> }

export interface Launcher {
  readonly name: 'posix' | 'linux'
  /** One-time host preparation; throws with a clear message when the launcher cannot work here. */
  prepare(): Promise<void>
  launch(spec: LaunchSpec): Promise<Launched>
  /** Resolves once, when the container's main process has exited (works for re-adopted containers too). */
  wait(containerId: string): Promise<Termination>
  /** Sends a signal to every process of the container. */
  kill(containerId: string, signal: NodeJS.Signals): Promise<void>
  /** Kills what is left and removes runtime state (cgroups, mounts, runtime dirs). The sandbox stays. */
  destroy(containerId: string): Promise<void>
  /** Re-adopts checkpointed containers; returns those still running (the rest resolve `wait` with their status). */
  recover(containers: RecoveredContainer[]): Promise<void>
  /** Destroys containers found on the host that the checkpoint does not know. */
  cleanupOrphans(known: Set<string>): Promise<string[]>
  /** Resource usage for /monitor/statistics and GET_CONTAINERS. */
  usage(containerId: string): Promise<Record<string, number> | undefined>
  /** Creates the executor container of a task group: the namespaces and cgroup its nested tasks share. */
  prepareGroup?(containerId: string, sandbox: string, resources: Resources, container?: ContainerInfo): Promise<void>
  destroyGroup?(containerId: string): Promise<void>
  recoverGroup?(containerId: string): Promise<void>
  /** NetworkInfos to report for a container with its own network (CNI); undefined = host network. */
  networkStatus?(containerId: string): NetworkInfo[] | undefined
  /** The switchboard of a container started with a TTY or stdin (undefined for plain containers). */
  io?(containerId: string): ContainerIO | undefined
  /** Runs a process inside a running container, sharing all its namespaces and its root filesystem. */
  exec(containerId: string, spec: ExecSpec): Promise<ExecProcess>
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

/** Converts a shell-style exit code to the raw wait status Mesos reports (WAIT_CONTAINER.exit_status). */
export function waitStatusOf(exitCode: number): number {
  if (exitCode > 128 && exitCode <= 128 + 64) return exitCode - 128
  return exitCode << 8
}

/** Argument vector for a CommandInfo, as the Mesos command executor builds it. */
export function commandArgv(cmd: { shell?: boolean; value?: string; arguments?: string[] }): string[] {
  if (cmd.shell !== false) return ['/bin/sh', '-c', cmd.value ?? '']
  const args = cmd.arguments?.length ? cmd.arguments.slice(1) : []
  return [cmd.value ?? '', ...args]
}

// Containers nested in a task's container, started through the agent operator API: debug sessions
// (LAUNCH_NESTED_CONTAINER_SESSION: a process inside the task's container, sharing its namespaces and root, killed
// when the client goes away) and standalone nested containers (LAUNCH_NESTED_CONTAINER / LAUNCH_CONTAINER with a
// parent: a container of their own joining the parent's namespaces, dying with it). They live as long as the agent.

import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../core/log.ts'
import { Resources } from '../core/resources.ts'
import type { CommandInfo, ContainerInfo } from '../core/v1/messages.ts'
import type { Agent } from './agent.ts'
import { commandArgv, type ContainerIO, type ExecProcess, type Termination } from './containerizer/launcher.ts'
import type { AgentExecutorBase, AgentTask } from './executors/executor.ts'
import { commandEnvironment } from './executors/executor.ts'
import { FileFollowIO } from './io/file-follow.ts'
import { signalToSend } from '../core/exit-status.ts'

const log = logger('nested-containers')

export class ContainerCallError extends Error {
  constructor(readonly status: number, message: string) { super(message) }
}

/** A running container of a task (or executor) that nested containers can be started in. */
export interface ParentContainer {
  containerId: string
  exec: AgentExecutorBase
  task?: AgentTask
  sandbox: string
}

interface Nested {
  id: string
  parentId: string
  kind: 'session' | 'container'
  done: Promise<Termination>
  termination?: Termination
  io?: ContainerIO
  proc?: ExecProcess
  sandbox?: string
}

export class NestedContainers {
  private readonly nested = new Map<string, Nested>()

  constructor(private readonly agent: Agent) {}

  /** The container a ContainerID names, if it is a running task/executor container. */
  parent(containerId: string): ParentContainer | undefined {
    const found = this.agent.findTaskContainer(containerId)
    if (!found) return undefined
    const { exec, task } = found
    const sandbox = task && task.containerId === containerId && task.containerId !== exec.containerId ? join(exec.sandbox, 'tasks', task.id) : exec.sandbox
    return { containerId, exec, task, sandbox }
  }

  get(id: string): Nested | undefined { return this.nested.get(id) }

  private env(p: ParentContainer, command: CommandInfo | undefined, tty: boolean): Record<string, string> {
    const env = { ...this.agent.executorEnv(p.exec), ...commandEnvironment(p.task?.info.command?.environment), ...commandEnvironment(command?.environment) }
    env.MESOS_SANDBOX = this.agent.containerizer.launcherName === 'linux' ? this.agent.flags.sandbox_directory : p.sandbox
    if (tty) env.TERM ??= 'xterm'
    return env
  }

  async launchSession(parentId: string, id: string, command: CommandInfo | undefined, container: ContainerInfo | undefined): Promise<Nested> {
    const p = this.parent(parentId)
    if (!p) throw new ContainerCallError(400, `Parent container ${parentId} cannot be found`)
    if (this.nested.has(id) || this.agent.findTaskContainer(id)) throw new ContainerCallError(409, `Container ${id} already exists`)
    if (!command?.value && !command?.arguments?.length) throw new ContainerCallError(400, "Expecting 'command' with a 'value'")
    const tty = !!container?.tty_info
    const size = container?.tty_info?.window_size
    const proc = await this.agent.containerizer.exec(parentId, {
      argv: commandArgv(command),
      env: this.env(p, command, tty),
      tty,
      size: size && size.rows && size.columns ? { rows: size.rows, cols: size.columns } : undefined,
      user: command.user ?? p.task?.info.command?.user ?? this.agent.frameworkInfo(p.exec.frameworkId).user,
    }).catch(err => { throw new ContainerCallError(400, (err as Error).message) })
    const n: Nested = { id, parentId, kind: 'session', proc, io: proc.io, done: proc.wait() }
    void n.done.then(t => { n.termination = t })
    this.nested.set(id, n)
    log.info(`Started session ${id} in container ${parentId}: ${commandArgv(command).join(' ')}`)
    return n
  }

  async launchContainer(parentId: string, id: string, command: CommandInfo | undefined, container: ContainerInfo | undefined): Promise<Nested> {
    const p = this.parent(parentId)
    if (!p) throw new ContainerCallError(400, `Parent container ${parentId} cannot be found`)
    if (this.nested.has(id) || this.agent.findTaskContainer(id)) throw new ContainerCallError(409, `Container ${id} already exists`)
    const sandbox = join(p.sandbox, 'containers', id)
    mkdirSync(sandbox, { recursive: true })
    const tty = !!container?.tty_info
    await this.agent.containerizer.launch({
      containerId: id,
      parentId,
      sandbox,
      argv: commandArgv(command ?? {}),
      command,
      env: this.env(p, command, tty),
      user: command?.user ?? this.agent.frameworkInfo(p.exec.frameworkId).user,
      resources: Resources.EMPTY,
      container,
      tty,
      stdin: tty,
    }).catch(err => { throw new ContainerCallError(400, `Failed to launch nested container ${id}: ${(err as Error).message}`) })
    const done = this.agent.containerizer.wait(id)
    const n: Nested = { id, parentId, kind: 'container', done, sandbox, io: this.agent.containerizer.io(id) ?? new FileFollowIO(sandbox, done) }
    void done.then(t => { n.termination = t })
    this.nested.set(id, n)
    return n
  }

  kill(id: string, signal: NodeJS.Signals | number) {
    const n = this.nested.get(id)
    if (!n) throw new ContainerCallError(404, `Container ${id} cannot be found`)
    if (n.termination) return
    if (n.proc) n.proc.kill(signal)
    else void this.agent.containerizer.kill(id, typeof signal === 'number' ? signalToSend(signal) : signal)
  }

  async remove(id: string) {
    const n = this.nested.get(id)
    if (!n) throw new ContainerCallError(404, `Container ${id} cannot be found`)
    if (!n.termination) throw new ContainerCallError(409, `Container ${id} is still running`)
    if (n.kind === 'container') await this.agent.containerizer.destroy(id).catch(() => {})
    this.nested.delete(id)
  }

  /** Sessions end with their client; nested containers with their parent. */
  async endSession(id: string) {
    const n = this.nested.get(id)
    if (!n || n.termination) return
    n.proc?.kill('SIGKILL')
    await n.done
    log.info(`Session ${id} ended (client disconnected)`)
  }

  /** The parent container ended: its nested containers go with it. */
  async parentEnded(parentId: string) {
    for (const n of this.nested.values()) {
      if (n.parentId !== parentId || n.termination) continue
      if (n.kind === 'session') n.proc?.kill('SIGKILL')
      else await this.agent.containerizer.destroy(n.id).catch(() => {})
    }
  }
}


// The containerizer: where a container is created, watched and destroyed. It coordinates the provisioner (container
// images), the isolators (--isolation) and the launcher (posix, or linux: crun under conmon), as Mesos'
// MesosContainerizer does (src/slave/containerizer/mesos/containerizer.cpp); executors, nested containers and the
// operator API only talk to it. docs/containerizer.md walks through the lifecycle.
//
//   launch:   provision the image → isolators prepare → fetch CommandInfo.uris → launcher create (the spec, with
//             the isolators' isolate)
//             → launcher start → isolators watch
//   destroy:  launcher destroy → isolators cleanup, in reverse → provisioner destroy
//   recover:  launcher destroys orphans (isolators and provisioner release theirs) → launcher recover
//             → isolators recover → provisioner recover → isolators watch
//
// A failed launch is destroyed before the error is returned, so what earlier isolators prepared is released.

import { logger } from '../../core/log.ts'
import type { Resources } from '../../core/resources.ts'
import type { ContainerInfo, NetworkInfo } from '../../core/v1/messages.ts'
import type { AgentFlags } from '../flags.ts'
import type { ContainerLimitation, ContainerRef, IsolationContext, Isolator } from '../isolators/isolator.ts'
import type { ContainerIO, ExecProcess, ExecSpec, Launched, Launcher, LaunchSpec, RecoveredContainer, Termination } from './launcher.ts'
import { launcherSupport, refuseUnsupported, type LauncherSupport } from './launcher-capabilities.ts'
import type { ImageProvisioner, ProvisionedImage } from './provisioner.ts'
import { containerizerMetrics } from '../metrics.ts'
import type { Fetcher } from '../fetcher/fetcher.ts'

const log = logger('containerizer')

export interface ContainerizerOptions {
  launcher: Launcher
  /** In the order they run (isolators/index.ts). */
  isolators: Isolator[]
  /** Container images (linux launcher with --image_providers=docker). */
  provisioner?: ImageProvisioner
  /** CommandInfo.uris into the sandbox, after the isolators' prepare and before the container is created. */
  fetcher?: Fetcher
  flags: AgentFlags
}

interface Container {
  id: string
  parentId?: string
  sandbox?: string
  pid?: number
  /** The first limitation an isolator reported; it ended the container. */
  limitation?: ContainerLimitation
  /** Settle once the container has exited (isolators' watch). */
  watches?: Promise<unknown>[]
  exited?: boolean
  termination?: Promise<Termination>
}

export class Containerizer {
  private readonly containers = new Map<string, Container>()
  /** What the launcher and isolators can honour, read once (after prepare, which finds the container init). */
  private support?: LauncherSupport

  /** slave/container_launch_errors, containerizer/mesos/container_destroy_errors, the launch histogram. */
  private readonly metrics = containerizerMetrics()

  constructor(private readonly o: ContainerizerOptions) {}

  /** The launcher's name, as checkpointed with each container. */
  get launcherName(): Launcher['name'] { return this.o.launcher.name }
  get isolatorNames(): string[] { return this.o.isolators.map(i => i.name) }

  /** Host preparation at agent start. */
  async prepare() {
    await this.o.launcher.prepare()
    log.info(`Containerizer ready: ${this.o.launcher.name} launcher, isolation ${this.isolatorNames.join(',') || '(none)'}${this.o.provisioner ? ', docker images' : ''}`)
  }

  async launch(spec: LaunchSpec): Promise<Launched> {
    const { launcher, isolators } = this.o
    // Before anything is created: a field this agent cannot honour fails the launch, never runs without it.
    this.support ??= launcherSupport({ launcher, isolators: this.isolatorNames, images: !!this.o.provisioner, flags: this.o.flags })
    const started = performance.now()
    // Upstream counts an executor's container that failed to start (Slave::executorLaunched); nested ones are not.
    const launchFailed = () => { if (!spec.parentId) this.metrics.launchErrors.inc() }
    try { refuseUnsupported(spec, this.support) } catch (err) { launchFailed(); throw err }
    const c: Container = { id: spec.containerId, parentId: spec.parentId, sandbox: spec.sandbox }
    this.containers.set(c.id, c)
    let created = false
    try {
      const image = await this.provision(spec)
      // Killed while its image was pulled or unpacked: nothing more is created for it.
      spec.signal?.throwIfAborted()
      const ctx = this.context(spec)
      let env = spec.env
      for (const isolator of isolators) {
        const info = await isolator.prepare?.(ctx)
        if (info?.env) env = { ...env, ...info.env }
      }
      // Upstream fetches between isolate and exec; here before create, since crun (and the spec builder's command
      // check) look for the executable at create, and a URI may be what brings it (src/agent/fetcher/).
      await this.o.fetcher?.fetch({ containerId: spec.containerId, command: spec.command, sandbox: spec.sandbox, user: spec.user, signal: spec.signal })
      spec.signal?.throwIfAborted()
      const launched = await launcher.create({ ...spec, env, image, isolate: s => { for (const isolator of isolators) isolator.isolate?.(s, ctx) } })
      created = true
      c.pid = launched.pid
      await launcher.start(c.id)
      this.watch(c)
      this.metrics.launchSeconds.observe((performance.now() - started) / 1000)
      return launched
    } catch (err) {
      launchFailed()
      if (created) {
        await launcher.destroy(c.id).catch(e => {
          this.metrics.destroyErrors.inc()
          log.warn(`Container ${c.id}: destroying it after a failed launch: ${(e as Error).message}`)
        })
      }
      this.containers.delete(c.id)
      await this.release(c.id)
      throw err
    }
  }

  /** The root filesystem of a container with an image; the posix launcher has none to give (such launches are refused). */
  private async provision(spec: LaunchSpec): Promise<ProvisionedImage | undefined> {
    const image = spec.container?.mesos?.image
    if (!image || this.o.launcher.name === 'posix') return undefined
    if (!this.o.provisioner) throw new Error('this agent has no image support; start it with --image_providers=docker')
    return this.o.provisioner.provision(spec.containerId, image, { sandbox: spec.sandbox, signal: spec.signal })
  }

  private context(spec: LaunchSpec): IsolationContext {
    const parent = spec.parentId ? this.containers.get(spec.parentId) : undefined
    return {
      containerId: spec.containerId,
      parent: parent?.pid ? { containerId: parent.id, pid: parent.pid, sandbox: parent.sandbox } : undefined,
      resources: spec.resources,
      container: spec.container,
      flags: this.o.flags,
      sandbox: { host: spec.sandbox, container: this.o.flags.sandbox_directory },
      env: spec.env,
      user: spec.user,
    }
  }

  private ref(id: string, pid?: number): ContainerRef {
    return { containerId: id, pid, cgroupsPath: this.o.launcher.cgroupsPath?.(id) }
  }

  /** Isolators watch the container; a limitation while it runs ends it (Mesos' MesosContainerizerProcess::limited). */
  private watch(c: Container) {
    const watching = this.o.isolators.filter(i => i.watch)
    if (!watching.length) return
    const exited = this.o.launcher.wait(c.id)
    void exited.then(() => { c.exited = true })
    c.watches = watching.map(isolator => isolator.watch!(this.ref(c.id, c.pid), exited).then(limitation => {
      if (!limitation || c.limitation) return
      c.limitation = limitation
      if (c.exited) return
      log.warn(`Container ${c.id} reached a limit (${isolator.name}) and will be terminated: ${limitation.message}`)
      void this.o.launcher.kill(c.id, 'SIGKILL')
    }, err => log.warn(`Container ${c.id}: ${isolator.name} stopped watching it: ${(err as Error).message}`)))
  }

  /** Resolves once, when the container's main process has exited, with the limitation that ended it if any. */
  wait(containerId: string): Promise<Termination> {
    const c = this.containers.get(containerId)
    if (!c) return this.o.launcher.wait(containerId)
    c.termination ??= this.o.launcher.wait(containerId).then(async t => {
      await Promise.all(c.watches ?? [])
      return c.limitation ? { ...t, limitation: c.limitation } : t
    })
    return c.termination
  }

  kill(containerId: string, signal: NodeJS.Signals): Promise<void> {
    return this.o.launcher.kill(containerId, signal)
  }

  /** Kills what is left of the container and releases everything it held. The sandbox stays. */
  async destroy(containerId: string) {
    await this.o.launcher.destroy(containerId).catch(err => { this.metrics.destroyErrors.inc(); throw err })
    this.containers.delete(containerId)
    await this.release(containerId)
  }

  /** Isolators clean up in reverse order, then the root filesystem goes; failures are logged, not fatal. */
  private async release(containerId: string) {
    for (const isolator of [...this.o.isolators].reverse()) {
      if (!isolator.cleanup) continue
      try { await isolator.cleanup(containerId) } catch (err) { this.metrics.destroyErrors.inc(); log.warn(`Container ${containerId}: ${isolator.name} cleanup failed: ${(err as Error).message}`) }
    }
    try { await this.o.provisioner?.destroy(containerId) } catch (err) { this.metrics.destroyErrors.inc(); log.warn(`Container ${containerId}: removing its root filesystem failed: ${(err as Error).message}`) }
  }

  /** After an agent restart: destroys containers the checkpoint does not know, re-adopts the others. */
  async recover(containers: RecoveredContainer[]) {
    const known = new Set(containers.map(c => c.containerId))
    for (const orphan of await this.o.launcher.cleanupOrphans(known)) await this.release(orphan)
    await this.o.launcher.recover(containers)
    const recovered = containers.map(rc => {
      const c: Container = { id: rc.containerId, parentId: rc.parentId, pid: numberField(rc.data.pid), sandbox: stringField(rc.data.sandbox) }
      this.containers.set(c.id, c)
      return c
    })
    const refs = recovered.map(c => this.ref(c.id, c.pid))
    for (const isolator of this.o.isolators) await isolator.recover?.(refs)
    await this.o.provisioner?.recover(known)
    for (const c of recovered) this.watch(c)
  }

  /** Statistics of a running container, merged from the isolators' usage (undefined once it has exited). */
  async usage(containerId: string): Promise<Record<string, number> | undefined> {
    const pid = this.o.launcher.pid(containerId)
    if (pid === undefined) return undefined
    const ref = this.ref(containerId, pid)
    const parts = await Promise.all(this.o.isolators.map(i => i.usage?.(ref)))
    return Object.assign({ timestamp: Date.now() / 1000 }, ...parts)
  }

  /** The addresses of the container's own network, or of its parent's (nested containers share it); undefined: host network. */
  networkInfos(containerId: string): NetworkInfo[] | undefined {
    for (let cur: string | undefined = containerId; cur; cur = this.containers.get(cur)?.parentId) {
      for (const isolator of this.o.isolators) {
        const infos = isolator.status?.(cur)?.network_infos
        if (infos) return infos
      }
    }
    return undefined
  }

  /** A task group's executor container: a sleeping process owning the namespaces and cgroup its tasks share. */
  async prepareGroup(containerId: string, sandbox: string, resources: Resources, container?: ContainerInfo, signal?: AbortSignal) {
    const argv = this.o.launcher.groupCommand
    if (!argv) return // posix: the tasks of a group are containers of their own, side by side
    await this.launch({ containerId, sandbox, argv, env: {}, resources, container, signal })
  }

  async destroyGroup(containerId: string) {
    if (!this.o.launcher.groupCommand || !this.containers.has(containerId)) return
    await this.o.launcher.kill(containerId, 'SIGKILL')
    await this.destroy(containerId)
  }

  /** The switchboard of a container started with a TTY or stdin. */
  io(containerId: string): ContainerIO | undefined { return this.o.launcher.io?.(containerId) }

  /** Runs a process inside a running container (task exec, debug sessions). */
  exec(containerId: string, spec: ExecSpec): Promise<ExecProcess> { return this.o.launcher.exec(containerId, spec) }
}

const numberField = (v: unknown) => (typeof v === 'number' && v > 0 ? v : undefined)
const stringField = (v: unknown) => (typeof v === 'string' ? v : undefined)

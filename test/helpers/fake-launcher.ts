// A harness for the containerizer: a launcher that runs nothing and isolators that record what they are asked, all
// into one call log, so tests read as the story of a container ("prepare a, create, isolate, start, watch…").

import { baseSpec, type OciSpec } from '../../src/agent/containerizer/oci-spec.ts'
import type { ContainerLaunch, ExecProcess, Launched, Launcher, RecoveredContainer, Termination } from '../../src/agent/containerizer/launcher.ts'
import type { Isolator } from '../../src/agent/isolators/isolator.ts'

interface Exit { promise: Promise<Termination>; resolve: (t: Termination) => void }

function exitSlot(): Exit {
  let resolve!: (t: Termination) => void
  const promise = new Promise<Termination>(r => { resolve = r })
  return { promise, resolve }
}

export class FakeLauncher implements Launcher {
  /** What each created container was launched with, and the spec its isolators wrote. */
  readonly launches = new Map<string, { launch: ContainerLaunch; spec: OciSpec }>()
  readonly groupCommand: string[] | undefined
  private readonly exits = new Map<string, Exit>()
  private readonly pids = new Map<string, number>()
  private nextPid = 1000
  fail: { create?: string; start?: string } = {}
  /** What cleanupOrphans finds on the "host" besides the known containers. */
  orphans: string[] = []

  constructor(readonly calls: string[], readonly name: 'posix' | 'linux' = 'linux') {
    this.groupCommand = name === 'linux' ? ['sleep', 'infinity'] : undefined
  }

  async prepare() { this.calls.push('launcher.prepare') }

  async create(launch: ContainerLaunch): Promise<Launched> {
    const id = launch.containerId
    this.calls.push(`launcher.create ${id}`)
    if (this.fail.create) throw new Error(this.fail.create)
    const spec = baseSpec({
      argv: launch.argv, env: launch.env, cwd: '/mnt/mesos/sandbox', uid: 0, gid: 0, cgroupsPath: `/meso/${id}`, rootfs: '/rootfs',
      rootMounts: [], sandbox: { host: launch.sandbox, container: '/mnt/mesos/sandbox' }, terminal: false, capabilities: [], ownNetwork: false,
    })
    if (this.name === 'linux') launch.isolate(spec)
    this.launches.set(id, { launch, spec })
    const pid = this.nextPid++
    this.pids.set(id, pid)
    this.exits.set(id, exitSlot())
    return { pid, data: { pid, sandbox: launch.sandbox } }
  }

  async start(id: string) {
    this.calls.push(`launcher.start ${id}`)
    if (this.fail.start) throw new Error(this.fail.start)
  }

  wait(id: string): Promise<Termination> {
    return this.exits.get(id)?.promise ?? Promise.resolve({ unknown: `container ${id} is unknown to the fake launcher` })
  }

  /** The container's process ends (as conmon would record it). */
  exit(id: string, t: Termination = { exitCode: 0, waitStatus: 0 }) {
    this.pids.delete(id)
    this.exits.get(id)?.resolve(t)
  }

  async kill(id: string, signal: NodeJS.Signals) {
    this.calls.push(`launcher.kill ${id} ${signal}`)
    if (signal === 'SIGKILL') this.exit(id, { exitCode: 137, waitStatus: 9 })
  }

  async destroy(id: string) {
    this.calls.push(`launcher.destroy ${id}`)
    this.exit(id, { exitCode: 137, waitStatus: 9 })
    this.exits.delete(id)
  }

  async recover(containers: RecoveredContainer[]) {
    this.calls.push(`launcher.recover ${containers.map(c => c.containerId).join(',')}`)
    for (const c of containers) {
      this.exits.set(c.containerId, exitSlot())
      if (typeof c.data.pid === 'number') this.pids.set(c.containerId, c.data.pid)
    }
  }

  async cleanupOrphans(known: Set<string>) {
    this.calls.push('launcher.cleanupOrphans')
    return this.orphans.filter(id => !known.has(id))
  }

  pid(id: string) { return this.pids.get(id) }
  cgroupsPath(id: string) { return `/meso/${id}` }
  async exec(): Promise<ExecProcess> { throw new Error('the fake launcher runs no process') }
}

/** An isolator that logs each hook as `<name>.<hook> <container>` and then runs `hooks`' own version, if any. */
export function recordingIsolator(name: string, calls: string[], hooks: Partial<Omit<Isolator, 'name'>> = {}): Isolator {
  return {
    name,
    posix: hooks.posix,
    recover: c => { calls.push(`${name}.recover ${c.map(x => x.containerId).join(',')}`); return hooks.recover?.(c) },
    prepare: ctx => { calls.push(`${name}.prepare ${ctx.containerId}`); return hooks.prepare?.(ctx) },
    isolate: (spec, ctx) => { calls.push(`${name}.isolate ${ctx.containerId}`); hooks.isolate?.(spec, ctx) },
    watch: (c, exited) => { calls.push(`${name}.watch ${c.containerId}`); return hooks.watch?.(c, exited) ?? exited.then(() => undefined) },
    usage: c => { calls.push(`${name}.usage ${c.containerId}`); return hooks.usage?.(c) ?? {} },
    status: id => hooks.status?.(id),
    cleanup: id => { calls.push(`${name}.cleanup ${id}`); return hooks.cleanup?.(id) },
  }
}

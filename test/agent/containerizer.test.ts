// The containerizer's lifecycle, driven with a fake launcher, a fake provisioner and isolators that record their
// calls: the order of launch, destroy and recovery (Mesos' MesosContainerizer), limitations from `watch`, usage
// merged from the isolators, and failed launches releasing what was prepared. No root, no processes.

import { describe, expect, test } from 'bun:test'
import { Containerizer } from '../../src/agent/containerizer/containerizer.ts'
import type { LaunchSpec } from '../../src/agent/containerizer/launcher.ts'
import type { ImageProvisioner } from '../../src/agent/containerizer/provisioner.ts'
import { cgroupsMem } from '../../src/agent/isolators/cgroups-mem.ts'
import type { CgroupStats } from '../../src/agent/isolators/cgroups/stats.ts'
import type { ContainerLimitation, Isolator } from '../../src/agent/isolators/isolator.ts'
import { FakeLauncher, recordingIsolator } from '../helpers/fake-launcher.ts'
import { agentFlags, res } from '../helpers/isolation.ts'

function harness(o: { launcher?: 'linux' | 'posix'; isolators?: (calls: string[]) => Isolator[] } = {}) {
  const calls: string[] = []
  const launcher = new FakeLauncher(calls, o.launcher ?? 'linux')
  const provisioner: ImageProvisioner = {
    async provision(id) { calls.push(`provisioner.provision ${id}`); return { rootfs: `/images/${id}`, config: {} } },
    async destroy(id) { calls.push(`provisioner.destroy ${id}`) },
    async recover(known) { calls.push(`provisioner.recover ${[...known].join(',')}`) },
  }
  const isolators = o.isolators?.(calls) ?? [recordingIsolator('a', calls), recordingIsolator('b', calls)]
  const containerizer = new Containerizer({ launcher, isolators, provisioner, flags: agentFlags() })
  return { calls, launcher, containerizer }
}

const launch = (id: string, over: Partial<LaunchSpec> = {}): LaunchSpec => ({
  containerId: id, sandbox: `/sandboxes/${id}`, argv: ['sleep', '60'], env: { A: '1' }, resources: res('cpus:1;mem:64'), ...over,
})
const withImage: Partial<LaunchSpec> = { container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'busybox' } } } } }
const tick = () => new Promise(r => setTimeout(r, 0))

describe('launch', () => {
  test('provision → prepare each isolator → create (the isolators write the spec) → start → watch', async () => {
    const { calls, launcher, containerizer } = harness({
      isolators: calls => [
        recordingIsolator('a', calls, { isolate: spec => { spec.hostname = 'from-a' } }),
        recordingIsolator('b', calls, { prepare: () => ({ env: { B: '2' } }) }),
      ],
    })
    const launched = await containerizer.launch(launch('c1', withImage))
    expect(calls).toEqual([
      'provisioner.provision c1', 'a.prepare c1', 'b.prepare c1',
      'launcher.create c1', 'a.isolate c1', 'b.isolate c1', 'launcher.start c1',
      'a.watch c1', 'b.watch c1',
    ])
    const { launch: given, spec } = launcher.launches.get('c1')!
    expect(given.image?.rootfs).toBe('/images/c1')
    expect(given.env).toEqual({ A: '1', B: '2' })
    expect(spec.hostname).toBe('from-a')
    expect(launched.pid).toBe(launcher.pid('c1')!)
  })

  test('a failing prepare releases what the earlier isolators prepared, in reverse, and the image', async () => {
    const { calls, containerizer } = harness({
      isolators: calls => [
        recordingIsolator('a', calls),
        recordingIsolator('b', calls, { prepare: () => { throw new Error('no GPU left') } }),
        recordingIsolator('c', calls),
      ],
    })
    await expect(containerizer.launch(launch('c1', withImage))).rejects.toThrow('no GPU left')
    expect(calls).toEqual(['provisioner.provision c1', 'a.prepare c1', 'b.prepare c1', 'c.cleanup c1', 'b.cleanup c1', 'a.cleanup c1', 'provisioner.destroy c1'])
    expect(await containerizer.usage('c1')).toBeUndefined()
  })

  test('a container that fails to start is destroyed by the launcher, then released', async () => {
    const { calls, launcher, containerizer } = harness()
    launcher.fail.start = 'crun start failed'
    await expect(containerizer.launch(launch('c1'))).rejects.toThrow('crun start failed')
    expect(calls.slice(calls.indexOf('launcher.start c1'))).toEqual(['launcher.start c1', 'launcher.destroy c1', 'b.cleanup c1', 'a.cleanup c1', 'provisioner.destroy c1'])
  })

  test('the posix launcher refuses an image (it has no root filesystem of its own to give) before provisioning it', async () => {
    const { calls, launcher, containerizer } = harness({ launcher: 'posix' })
    await expect(containerizer.launch(launch('c1', withImage))).rejects.toThrow('cannot run container images')
    expect(calls).toEqual([])
    expect(launcher.launches.has('c1')).toBe(false)
  })
})

describe('destroy', () => {
  test('launcher destroy, then the isolators clean up in reverse order, then the image goes', async () => {
    const { calls, containerizer } = harness()
    await containerizer.launch(launch('c1'))
    calls.length = 0
    await containerizer.destroy('c1')
    expect(calls).toEqual(['launcher.destroy c1', 'b.cleanup c1', 'a.cleanup c1', 'provisioner.destroy c1'])
  })

  test('a cleanup that fails does not stop the others', async () => {
    const { calls, containerizer } = harness({
      isolators: calls => [recordingIsolator('a', calls), recordingIsolator('b', calls, { cleanup: () => { throw new Error('DEL failed') } })],
    })
    await containerizer.launch(launch('c1'))
    await containerizer.destroy('c1')
    expect(calls.slice(-3)).toEqual(['b.cleanup c1', 'a.cleanup c1', 'provisioner.destroy c1'])
  })

  test('a task group: its executor container runs the launcher\'s group command; destroyGroup kills and destroys it', async () => {
    const { calls, launcher, containerizer } = harness()
    await containerizer.prepareGroup('g', '/sandboxes/g', res('cpus:1'))
    expect(launcher.launches.get('g')!.launch.argv).toEqual(['sleep', 'infinity'])
    await containerizer.destroyGroup('g')
    expect(calls.slice(-5)).toEqual(['launcher.kill g SIGKILL', 'launcher.destroy g', 'b.cleanup g', 'a.cleanup g', 'provisioner.destroy g'])
    const posix = harness({ launcher: 'posix' })
    await posix.containerizer.prepareGroup('g', '/sandboxes/g', res('cpus:1'))
    expect(posix.calls).toEqual([])
  })
})

describe('recover', () => {
  test('orphans are destroyed and released first; then the launcher, the isolators and the provisioner re-adopt the rest', async () => {
    const { calls, launcher, containerizer } = harness()
    launcher.orphans = ['lost']
    await containerizer.recover([{ containerId: 'c1', data: { pid: 42 } }, { containerId: 'c2', data: { pid: 43 }, parentId: 'c1' }])
    expect(calls).toEqual([
      'launcher.cleanupOrphans', 'b.cleanup lost', 'a.cleanup lost', 'provisioner.destroy lost',
      'launcher.recover c1,c2', 'a.recover c1,c2', 'b.recover c1,c2', 'provisioner.recover c1,c2',
      'a.watch c1', 'b.watch c1', 'a.watch c2', 'b.watch c2',
    ])
    launcher.exit('c2', { exitCode: 3, waitStatus: 3 << 8 })
    expect(await containerizer.wait('c2')).toEqual({ exitCode: 3, waitStatus: 3 << 8 })
  })

  test('a nested container reports its parent\'s network, re-adopted ones too', async () => {
    const infos = [{ name: 'meso', ip_addresses: [{ protocol: 'IPv4' as const, ip_address: '10.88.0.2' }] }]
    const { containerizer } = harness({ isolators: calls => [recordingIsolator('net', calls, { status: id => (id === 'p' ? { network_infos: infos } : undefined) })] })
    await containerizer.recover([{ containerId: 'p', data: { pid: 7 } }, { containerId: 'child', data: { pid: 8 }, parentId: 'p' }])
    expect(containerizer.networkInfos('child')).toEqual(infos)
    expect(containerizer.networkInfos('other')).toBeUndefined()
  })
})

describe('limitations', () => {
  test('a limitation from watch while the container runs kills it; its termination carries the limitation', async () => {
    let limit!: (l: ContainerLimitation) => void
    const limitation = { reason: 'REASON_CONTAINER_LIMITATION_DISK', message: 'Disk usage exceeded', resources: [] }
    const { calls, containerizer } = harness({
      isolators: calls => [recordingIsolator('disk', calls, { watch: () => new Promise(r => { limit = r }) })],
    })
    await containerizer.launch(launch('c1'))
    const done = containerizer.wait('c1')
    limit(limitation)
    expect(await done).toEqual({ exitCode: 137, waitStatus: 9, limitation })
    expect(calls).toContain('launcher.kill c1 SIGKILL')
  })

  test('cgroups/mem: an OOM-killed container ends with REASON_CONTAINER_LIMITATION_MEMORY, without another kill', async () => {
    const stats = { oomKills: () => 0, memoryLimit: () => 64 << 20, memoryPeak: () => 64 << 20 } as Partial<CgroupStats> as CgroupStats
    const { calls, launcher, containerizer } = harness({ isolators: () => [cgroupsMem(() => stats)] })
    await containerizer.launch(launch('c1'))
    launcher.exit('c1', { exitCode: 137, waitStatus: 9, oomKilled: true })
    const t = await containerizer.wait('c1')
    expect(t.limitation).toEqual({
      reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'Memory limit exceeded: Requested: 64MB Maximum Used: 64MB',
      resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: 64 } }],
    })
    expect(calls.filter(c => c.startsWith('launcher.kill'))).toEqual([])

    await containerizer.launch(launch('c2'))
    launcher.exit('c2', { exitCode: 0, waitStatus: 0 })
    expect(await containerizer.wait('c2')).toEqual({ exitCode: 0, waitStatus: 0 })
  })
})

describe('usage', () => {
  test('the isolators\' parts merged under one timestamp; nothing once the container has exited', async () => {
    const { launcher, containerizer } = harness({
      isolators: calls => [
        recordingIsolator('cpu', calls, { usage: c => ({ cpus_user_time_secs: 1.5, processes: c.pid! }) }),
        recordingIsolator('gpu', calls, { usage: async () => ({ gpus_utilization: 37 }) }),
      ],
    })
    await containerizer.launch(launch('c1'))
    const pid = launcher.pid('c1')!
    const u = await containerizer.usage('c1')
    expect(u).toEqual({ timestamp: expect.any(Number), cpus_user_time_secs: 1.5, processes: pid, gpus_utilization: 37 })
    launcher.exit('c1')
    await tick()
    expect(await containerizer.usage('c1')).toBeUndefined()
  })
})

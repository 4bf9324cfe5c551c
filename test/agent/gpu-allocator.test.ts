// Which container holds which GPU: whole GPUs only, lowest index first, freed on task end, checkpointed to a file
// that a restarted agent reads back; and the gpu/nvidia isolator's lifecycle (release on cleanup, recovery, the
// posix launcher's environment, statistics), driven through the containerizer.

import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GpuAllocator, jsonFileStore, memoryStore, requestedGpus } from '../../src/agent/isolators/gpu/gpu-allocator.ts'
import { gpuStatistics } from '../../src/agent/isolators/gpu/gpu-statistics.ts'
import type { OciSpec } from '../../src/agent/containerizer/oci-spec.ts'
import { Containerizer } from '../../src/agent/containerizer/containerizer.ts'
import { NvidiaGpuIsolator } from '../../src/agent/isolators/gpu/nvidia-isolator.ts'
import { GpuUsageSampler } from '../../src/agent/isolators/gpu/nvidia-smi.ts'
import { posixUsage } from '../../src/agent/isolators/posix-usage.ts'
import { Resources } from '../../src/core/resources.ts'
import { FAKE_GPUS, isolateGpus } from '../helpers/fake-gpus.ts'
import { FakeLauncher } from '../helpers/fake-launcher.ts'
import { agentFlags, res } from '../helpers/isolation.ts'
import { tempDir } from '../helpers/processes.ts'
const indices = (gpus: { index: number }[] | undefined) => gpus?.map(g => g.index)

describe('GPU allocation', () => {
  test('whole GPUs, lowest free index first; a retried launch keeps its GPUs; release frees them', () => {
    const a = new GpuAllocator(FAKE_GPUS, memoryStore())
    expect(indices(a.allocate('c1', 1))).toEqual([0])
    expect(indices(a.allocate('c2', 3))).toEqual([1, 2, 3])
    expect(indices(a.allocate('c1', 1))).toEqual([0])
    expect(a.free.length).toBe(4)
    expect(indices(a.release('c2'))).toEqual([1, 2, 3])
    expect(indices(a.allocate('c3', 2))).toEqual([1, 2])
    expect(a.release('unknown')).toEqual([])
    expect(() => a.allocate('c4', 6)).toThrow('Requested 6 GPU(s) but only 5 of 8 are free on this agent')
  })

  test('fractional gpus are refused (whole GPUs only)', () => {
    expect(requestedGpus(res('cpus:1;gpus:2'))).toBe(2)
    expect(requestedGpus(res('cpus:1'))).toBe(0)
    const half = Resources.of([{ name: 'gpus', type: 'SCALAR', scalar: { value: 0.5 } }])
    expect(() => requestedGpus(half)).toThrow("The 'gpus' resource must be a non-negative integer, got 0.5")
  })

  test('assignments are checkpointed atomically and read back by a restarted agent; recovery frees unknown containers', () => {
    const file = join(tempDir('meso-gpu-'), 'gpu', 'assignments.json')
    const first = new GpuAllocator(FAKE_GPUS, jsonFileStore(file))
    first.allocate('kept', 2)
    first.allocate('gone', 1)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, containers: { kept: [FAKE_GPUS[0]!.uuid, FAKE_GPUS[1]!.uuid], gone: [FAKE_GPUS[2]!.uuid] } })
    expect(existsSync(`${file}.tmp`)).toBe(false)

    const restarted = new GpuAllocator(FAKE_GPUS, jsonFileStore(file))
    expect(indices(restarted.assigned('kept'))).toEqual([0, 1])
    expect(restarted.recover(new Set(['kept']))).toEqual({ kept: ['kept'], freed: ['gone'] })
    expect(indices(restarted.allocate('new', 1))).toEqual([2])
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).containers)).toEqual(['kept', 'new'])
  })

  test('a GPU no longer managed after a restart (other --nvidia_gpu_devices) is dropped from its holder; corrupt files are reported', () => {
    const store = memoryStore()
    new GpuAllocator(FAKE_GPUS, store).allocate('c', 2)
    const subset = new GpuAllocator(FAKE_GPUS.slice(1), store)
    expect(indices(subset.assigned('c'))).toEqual([1])
    const dir = tempDir('meso-gpu-')
    writeFileSync(join(dir, 'a.json'), '{nope')
    expect(() => new GpuAllocator(FAKE_GPUS, jsonFileStore(join(dir, 'a.json')))).toThrow('GPU assignment checkpoint is corrupt')
  })

  test('the isolator: released on cleanup, restored by recover for known containers', () => {
    const store = memoryStore()
    const iso = new NvidiaGpuIsolator({ allocator: new GpuAllocator(FAKE_GPUS, store), majors: () => ({ nvidia: 195 }), launcher: 'linux' })
    const spec = () => ({ process: { env: [] as string[] }, linux: {}, mounts: [], root: { readonly: true } }) as unknown as OciSpec
    isolateGpus(iso, spec(), 'a', res('gpus:4'))
    isolateGpus(iso, spec(), 'b', res('gpus:4'))
    iso.cleanup('a')
    const s = spec()
    isolateGpus(iso, s, 'c', res('gpus:1'))
    expect(s.linux.devices![0]!.path).toBe('/dev/nvidia4')

    const after = new GpuAllocator(FAKE_GPUS, store)
    new NvidiaGpuIsolator({ allocator: after, majors: () => ({ nvidia: 195 }), launcher: 'linux' }).recover([{ containerId: 'b' }])
    expect(indices(after.assigned('b'))).toEqual([4, 5, 6, 7])
    expect(after.assigned('c')).toBeUndefined()
    expect(after.free.length).toBe(4)
  })
})

describe('GPUs with the posix launcher', () => {
  const posixGpus = (allocator: GpuAllocator, launcher: FakeLauncher, sampler?: GpuUsageSampler) => new Containerizer({
    launcher, flags: agentFlags(),
    isolators: [posixUsage, new NvidiaGpuIsolator({ allocator, majors: () => ({ nvidia: 195 }), volume: { hostPath: '/usr/local/nvidia', source: 'host' }, sampler, launcher: 'posix' })],
  })
  const spec = (id: string, gpus: number, env: Record<string, string> = {}) => ({ containerId: id, sandbox: '/s', argv: ['env'], env, resources: res(gpus ? `cpus:1;gpus:${gpus}` : 'cpus:1') })

  test('a GPU task gets its indices in the environment; a task without GPUs is told of none', async () => {
    const launcher = new FakeLauncher([], 'posix')
    const containerizer = posixGpus(new GpuAllocator(FAKE_GPUS, memoryStore()), launcher)
    await containerizer.launch(spec('g', 1, { PATH: '/bin' }))
    await containerizer.launch(spec('n', 0))
    expect(launcher.launches.get('g')!.launch.env).toMatchObject({ NVIDIA_VISIBLE_DEVICES: '0', CUDA_VISIBLE_DEVICES: FAKE_GPUS[0]!.uuid, PATH: '/bin:/usr/local/nvidia/bin' })
    expect(launcher.launches.get('n')!.launch.env).toEqual({ NVIDIA_VISIBLE_DEVICES: 'void', CUDA_VISIBLE_DEVICES: '' })
  })

  test('GPUs are freed on destroy, on a failed launch, for orphans, and for containers recovery does not know', async () => {
    const allocator = new GpuAllocator(FAKE_GPUS, memoryStore())
    const launcher = new FakeLauncher([], 'posix')
    const containerizer = posixGpus(allocator, launcher)
    await containerizer.launch(spec('a', 2))
    await containerizer.destroy('a')
    expect(allocator.free.length).toBe(8)

    for (const id of ['keep', 'orphan', 'forgotten']) await containerizer.launch(spec(id, 1))
    launcher.orphans = ['orphan']
    await posixGpus(allocator, launcher).recover([{ containerId: 'keep', data: {} }])
    expect(allocator.assigned('orphan')).toBeUndefined()
    expect(allocator.assigned('forgotten')).toBeUndefined()
    expect(indices(allocator.assigned('keep'))).toEqual([0])

    const failing = new FakeLauncher([], 'posix')
    failing.fail.create = 'spawn failed'
    const a2 = new GpuAllocator(FAKE_GPUS, memoryStore())
    await expect(posixGpus(a2, failing).launch(spec('f', 3))).rejects.toThrow('spawn failed')
    expect(a2.free.length).toBe(8)
  })

  test("statistics: utilisation and memory of the task's GPUs, only for containers holding GPUs", async () => {
    expect(gpuStatistics([FAKE_GPUS[0]!, FAKE_GPUS[1]!], [
      { uuid: FAKE_GPUS[0]!.uuid, utilizationPercent: 40, memoryUsedBytes: 100, memoryTotalBytes: 1000 },
      { uuid: FAKE_GPUS[1]!.uuid, utilizationPercent: 60, memoryUsedBytes: 50, memoryTotalBytes: 1000 },
      { uuid: FAKE_GPUS[2]!.uuid, utilizationPercent: 99, memoryUsedBytes: 999, memoryTotalBytes: 1000 },
    ])).toEqual({ gpus_utilization: 50, gpus_memory_used_bytes: 150, gpus_memory_total_bytes: 2000 })
    expect(gpuStatistics([FAKE_GPUS[0]!], [])).toEqual({})

    const sampler = new GpuUsageSampler(async () => ({ code: 0, stdout: `${FAKE_GPUS[0]!.uuid}, 37, 1024, 81559\n`, stderr: '' }), 'nvidia-smi')
    const iso = new NvidiaGpuIsolator({ allocator: new GpuAllocator(FAKE_GPUS, memoryStore()), majors: () => ({ nvidia: 195 }), sampler, launcher: 'linux' })
    isolateGpus(iso, { process: { env: [] }, linux: {}, mounts: [], root: { readonly: true } } as unknown as OciSpec, 'g', res('gpus:1'))
    expect(await iso.usage({ containerId: 'g' })).toEqual({ gpus_utilization: 37, gpus_memory_used_bytes: 1024 * 2 ** 20, gpus_memory_total_bytes: 81559 * 2 ** 20 })
    expect(await iso.usage({ containerId: 'plain' })).toEqual({})
  })
})

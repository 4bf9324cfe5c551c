// Which container holds which GPU: whole GPUs only, lowest index first, freed on task end, checkpointed to a file
// that a restarted agent reads back; and the GPU hooks on the posix launcher (environment, release, recovery,
// statistics).

import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GpuAllocator, jsonFileStore, memoryStore, requestedGpus } from '../../src/agent/gpu/gpu-allocator.ts'
import { gpuStatistics } from '../../src/agent/gpu/gpu-statistics.ts'
import { addGpusToPosixLauncher, addGpuStatistics } from '../../src/agent/gpu/launcher-gpus.ts'
import { NvidiaDeviceIsolation } from '../../src/agent/gpu/nvidia-isolation.ts'
import { GpuUsageSampler } from '../../src/agent/gpu/nvidia-smi.ts'
import { parseResourcesFlag, Resources } from '../../src/core/resources.ts'
import { FAKE_GPUS, recordingLauncher } from '../helpers/fake-gpus.ts'
import { tempDir } from '../helpers/processes.ts'

const res = (text: string) => Resources.of(parseResourcesFlag(text))
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

  test('linux launcher extension: released on destroy, restored by recover for known containers', () => {
    const store = memoryStore()
    const iso = new NvidiaDeviceIsolation(new GpuAllocator(FAKE_GPUS, store), () => ({ nvidia: 195 }))
    const spec = () => ({ process: { env: [] as string[] }, linux: {}, mounts: [], root: { readonly: true } }) as any
    iso.isolate(spec(), 'a', res('gpus:4'))
    iso.isolate(spec(), 'b', res('gpus:4'))
    iso.release('a')
    const s = spec()
    iso.isolate(s, 'c', res('gpus:1'))
    expect(s.linux.devices[0].path).toBe('/dev/nvidia4')

    const after = new GpuAllocator(FAKE_GPUS, store)
    new NvidiaDeviceIsolation(after, () => ({ nvidia: 195 })).recover([{ containerId: 'b', resources: Resources.EMPTY }])
    expect(indices(after.assigned('b'))).toEqual([4, 5, 6, 7])
    expect(after.assigned('c')).toBeUndefined()
    expect(after.free.length).toBe(4)
  })
})

describe('GPUs with the posix launcher', () => {
  test('a GPU task gets its indices in the environment; a task without GPUs is told of none', async () => {
    const { launcher, launched } = recordingLauncher('posix')
    const allocator = new GpuAllocator(FAKE_GPUS, memoryStore())
    addGpusToPosixLauncher(launcher, allocator, { hostPath: '/usr/local/nvidia', source: 'host' })
    await launcher.launch({ containerId: 'g', sandbox: '/s', argv: ['env'], env: { PATH: '/bin' }, resources: res('cpus:1;gpus:1') })
    await launcher.launch({ containerId: 'n', sandbox: '/s', argv: ['env'], env: {}, resources: res('cpus:1') })
    expect(launched[0]!.env).toMatchObject({ NVIDIA_VISIBLE_DEVICES: '0', CUDA_VISIBLE_DEVICES: FAKE_GPUS[0]!.uuid, PATH: '/bin:/usr/local/nvidia/bin' })
    expect(launched[1]!.env).toEqual({ NVIDIA_VISIBLE_DEVICES: 'void', CUDA_VISIBLE_DEVICES: '' })
  })

  test('GPUs are freed on destroy, on a failed launch, for orphans, and for containers recovery does not know', async () => {
    const { launcher, destroyed } = recordingLauncher('posix')
    launcher.cleanupOrphans = async () => ['orphan']
    const allocator = new GpuAllocator(FAKE_GPUS, memoryStore())
    addGpusToPosixLauncher(launcher, allocator)
    const spec = (id: string, gpus: number) => ({ containerId: id, sandbox: '/s', argv: ['true'], env: {}, resources: res(`gpus:${gpus}`) })
    await launcher.launch(spec('a', 2))
    await launcher.destroy('a')
    expect(destroyed).toEqual(['a'])
    expect(allocator.free.length).toBe(8)

    for (const id of ['keep', 'orphan', 'forgotten']) await launcher.launch(spec(id, 1))
    await launcher.cleanupOrphans(new Set(['keep', 'forgotten']))
    expect(allocator.assigned('orphan')).toBeUndefined()
    await launcher.recover([{ containerId: 'keep', data: {} }])
    expect(allocator.assigned('forgotten')).toBeUndefined()
    expect(indices(allocator.assigned('keep'))).toEqual([0])

    const failing = recordingLauncher('posix').launcher
    failing.launch = async () => { throw new Error('spawn failed') }
    const a2 = new GpuAllocator(FAKE_GPUS, memoryStore())
    addGpusToPosixLauncher(failing, a2)
    await expect(failing.launch(spec('f', 3))).rejects.toThrow('spawn failed')
    expect(a2.free.length).toBe(8)
  })

  test('statistics: utilisation and memory of the task\'s GPUs, only for containers holding GPUs', async () => {
    expect(gpuStatistics([FAKE_GPUS[0]!, FAKE_GPUS[1]!], [
      { uuid: FAKE_GPUS[0]!.uuid, utilizationPercent: 40, memoryUsedBytes: 100, memoryTotalBytes: 1000 },
      { uuid: FAKE_GPUS[1]!.uuid, utilizationPercent: 60, memoryUsedBytes: 50, memoryTotalBytes: 1000 },
      { uuid: FAKE_GPUS[2]!.uuid, utilizationPercent: 99, memoryUsedBytes: 999, memoryTotalBytes: 1000 },
    ])).toEqual({ gpus_utilization: 50, gpus_memory_used_bytes: 150, gpus_memory_total_bytes: 2000 })
    expect(gpuStatistics([FAKE_GPUS[0]!], [])).toEqual({})

    const { launcher } = recordingLauncher('linux')
    const allocator = new GpuAllocator(FAKE_GPUS, memoryStore())
    allocator.allocate('g', 1)
    const sampler = new GpuUsageSampler(async () => ({ code: 0, stdout: `${FAKE_GPUS[0]!.uuid}, 37, 1024, 81559\n`, stderr: '' }), 'nvidia-smi')
    addGpuStatistics(launcher, allocator, sampler)
    expect(await launcher.usage('g')).toEqual({ timestamp: 1, cpus_user_time_secs: 0.5, gpus_utilization: 37, gpus_memory_used_bytes: 1024 * 2 ** 20, gpus_memory_total_bytes: 81559 * 2 ** 20 })
    expect(await launcher.usage('plain')).toEqual({ timestamp: 1, cpus_user_time_secs: 0.5 })
  })
})

// GPU discovery at agent start: nvidia-smi parsing, Mesos' rules for --nvidia_gpu_devices and gpus in --resources,
// what the agent offers (gpus, gpu_models), and the start-up failures, over fake nvidia-smi output.

import { describe, expect, test } from 'bun:test'
import { GpuConfigError, gpuIsolationEnabled, parseGpuDevicesFlag, resourceGpusOf, selectAgentGpus, withGpuModels, withGpuResources } from '../../src/agent/isolators/gpu/gpu-flags.ts'
import { findNvidiaSmi, GpuUsageSampler, parseGpuInformation, parseGpuQuery, parseUsageQuery, type CommandRunner } from '../../src/agent/isolators/gpu/nvidia-smi.ts'
import { setupNvidiaGpus } from '../../src/agent/isolators/gpu/setup.ts'
import { parseResourcesFlag, Resources } from '../../src/core/resources.ts'
import { FAKE_GPUS, FAKE_MODEL, FAKE_QUERY_OUTPUT, fakeGpuHost } from '../helpers/fake-gpus.ts'

describe('nvidia-smi output', () => {
  test('the discovery query: index, UUID, minor (not the index), model, memory', () => {
    expect(parseGpuQuery(FAKE_QUERY_OUTPUT)).toEqual(FAKE_GPUS)
    expect(parseGpuQuery('1, GPU-b, [N/A], Tesla, V100, 16160 MiB\n0, GPU-a, 3, NVIDIA A100-SXM4-40GB, 40960 MiB\n')).toEqual([
      { index: 0, uuid: 'GPU-a', minor: 3, name: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960 },
      { index: 1, uuid: 'GPU-b', minor: -1, name: 'Tesla, V100', memoryMiB: 16160 },
    ])
    expect(parseGpuQuery('\n')).toEqual([])
    expect(() => parseGpuQuery('No devices were found')).toThrow(/unexpected nvidia-smi output/)
  })

  test('usage query and /proc/driver/nvidia information', () => {
    expect(parseUsageQuery('GPU-a, 37, 1024, 81559\nGPU-b, [N/A], [N/A], 81559\n')).toEqual([
      { uuid: 'GPU-a', utilizationPercent: 37, memoryUsedBytes: 1024 * 2 ** 20, memoryTotalBytes: 81559 * 2 ** 20 },
      { uuid: 'GPU-b', utilizationPercent: 0, memoryUsedBytes: 0, memoryTotalBytes: 81559 * 2 ** 20 },
    ])
    expect(parseGpuInformation('Model: \t\t NVIDIA H100\nIRQ:   12\nGPU UUID: \t GPU-x\nDevice Minor: \t 6\n')).toEqual({ uuid: 'GPU-x', minor: 6 })
  })

  test('nvidia-smi is looked for in --nvidia_driver_dir/bin, then PATH, then /usr/local/nvidia/bin', () => {
    const have = (...paths: string[]) => (p: string) => paths.includes(p)
    expect(findNvidiaSmi({ driverDir: '/d', which: () => '/usr/bin/nvidia-smi', exists: have('/d/bin/nvidia-smi', '/usr/bin/nvidia-smi') })).toBe('/d/bin/nvidia-smi')
    expect(findNvidiaSmi({ which: () => '/usr/bin/nvidia-smi', exists: have('/usr/bin/nvidia-smi') })).toBe('/usr/bin/nvidia-smi')
    expect(findNvidiaSmi({ which: () => null, exists: have('/usr/local/nvidia/bin/nvidia-smi') })).toBe('/usr/local/nvidia/bin/nvidia-smi')
    expect(findNvidiaSmi({ which: () => null, exists: have() })).toBeUndefined()
  })

  test('usage is sampled once for concurrent callers and reused for a while', async () => {
    let calls = 0
    let now = 0
    const run: CommandRunner = async () => { calls++; return { code: 0, stdout: 'GPU-a, 5, 1, 2\n', stderr: '' } }
    const s = new GpuUsageSampler(run, 'nvidia-smi', 2000, () => now)
    await Promise.all([s.sample(), s.sample(), s.sample()])
    expect(calls).toBe(1)
    now = 2500
    expect((await s.sample())[0]!.utilizationPercent).toBe(5)
    expect(calls).toBe(2)
  })
})

describe("Mesos' GPU flag rules", () => {
  test('gpu/nvidia in --isolation turns discovery on', () => {
    expect(gpuIsolationEnabled('cgroups/devices, gpu/nvidia')).toBe(true)
    expect(gpuIsolationEnabled('cgroups/cpu')).toBe(false)
    expect(gpuIsolationEnabled(undefined)).toBe(false)
  })

  test('--nvidia_gpu_devices: 0,1 or [0,1]; duplicates and non-indices refused', () => {
    expect(parseGpuDevicesFlag('0,1')).toEqual([0, 1])
    expect(parseGpuDevicesFlag('[3, 5]')).toEqual([3, 5])
    expect(parseGpuDevicesFlag(undefined)).toBeUndefined()
    expect(() => parseGpuDevicesFlag('0,0')).toThrow('contains duplicates')
    expect(() => parseGpuDevicesFlag('0,x')).toThrow("'x' is not a GPU index")
    expect(() => parseGpuDevicesFlag('1.5')).toThrow(GpuConfigError)
  })

  test('neither flag: every GPU found; no GPU found is an error', () => {
    expect(selectAgentGpus(FAKE_GPUS, {})).toEqual(FAKE_GPUS)
    expect(() => selectAgentGpus([], {})).toThrow('found no NVIDIA GPU')
  })

  test('--nvidia_gpu_devices picks a subset by index and needs a matching gpus:N', () => {
    expect(selectAgentGpus(FAKE_GPUS, { devices: [5, 2], resourceGpus: 2 }).map(g => [g.index, g.minor])).toEqual([[5, 1], [2, 6]])
    expect(() => selectAgentGpus(FAKE_GPUS, { devices: [0, 1] })).toThrow("cannot be set without also setting 'gpus' in '--resources'")
    expect(() => selectAgentGpus(FAKE_GPUS, { resourceGpus: 2 })).toThrow("cannot be set without also setting '--nvidia_gpu_devices'")
    expect(() => selectAgentGpus(FAKE_GPUS, { devices: [0, 1], resourceGpus: 3 })).toThrow('specify different numbers of GPU devices')
    expect(() => selectAgentGpus(FAKE_GPUS, { devices: [0, 9], resourceGpus: 2 })).toThrow('GPU 9 does not exist')
    expect(() => selectAgentGpus(FAKE_GPUS, { devices: [0], resourceGpus: 0.5 })).toThrow('non-negative integer')
  })

  test('gpus:0 turns GPUs off, and cannot go with --nvidia_gpu_devices', () => {
    expect(selectAgentGpus(FAKE_GPUS, { resourceGpus: 0 })).toEqual([])
    expect(() => selectAgentGpus(FAKE_GPUS, { devices: [0], resourceGpus: 0 })).toThrow("cannot be specified when '--resources' specifies 0 GPUs")
  })

  test('gpus in --resources: present (even 0) or absent', () => {
    expect(resourceGpusOf(parseResourcesFlag('cpus:2;gpus:2'))).toBe(2)
    expect(resourceGpusOf(parseResourcesFlag('cpus:2;gpus:0'))).toBe(0)
    expect(resourceGpusOf(parseResourcesFlag('cpus:2'))).toBeUndefined()
    expect(() => parseResourcesFlag('gpus:0.5')).toThrow('must be an unsigned integer')
  })

  test('the agent offers gpus:N (in the default role) and a gpu_models attribute; given values win', () => {
    const base = Resources.of(parseResourcesFlag('cpus:4;mem:1024'))
    expect(withGpuResources(base, 8).scalar('gpus')).toBe(8)
    const reserved = withGpuResources(base, 2, 'ml').list.find(r => r.name === 'gpus')!
    expect(reserved.reservations).toEqual([{ type: 'STATIC', role: 'ml' }])
    expect(withGpuResources(Resources.of(parseResourcesFlag('gpus:2')), 2).scalar('gpus')).toBe(2)
    expect(withGpuModels([], FAKE_GPUS.slice(0, 2))).toEqual([{ name: 'gpu_models', type: 'TEXT', text: { value: `${FAKE_MODEL},${FAKE_MODEL}` } }])
    const own = [{ name: 'gpu_models', type: 'TEXT' as const, text: { value: 'mine' } }]
    expect(withGpuModels(own, FAKE_GPUS)).toBe(own)
  })
})

describe('agent start with gpu/nvidia', () => {
  const flags = (f: Record<string, string> = {}) => ({ isolation: 'cgroups/cpu,cgroups/devices,gpu/nvidia', default_role: '*', ...f })
  const setup = (f: Record<string, string>, host = fakeGpuHost(), launcher: 'posix' | 'linux' = 'linux') =>
    setupNvidiaGpus({ flags: flags(f), runtimeDir: '/run/meso', launcher, resources: Resources.of(parseResourcesFlag('cpus:4;mem:4096')), attributes: [] }, host)

  test('8 GPUs discovered: gpus:8, their models, and the gpu/nvidia isolator', async () => {
    const r = await setup({})
    expect(r.resources.scalar('gpus')).toBe(8)
    expect(r.attributes[0]!.text!.value.split(',')).toEqual(Array(8).fill(FAKE_MODEL))
    expect(r.isolator?.name).toBe('gpu/nvidia')
  })

  test('--nvidia_gpu_devices with gpus:2 in --resources offers those two', async () => {
    const host = fakeGpuHost()
    const given = Resources.of(parseResourcesFlag('cpus:4;gpus:2'))
    const r = await setupNvidiaGpus({ flags: flags({ resources: 'cpus:4;gpus:2', nvidia_gpu_devices: '6,7' }), runtimeDir: '/r', launcher: 'linux', resources: given, attributes: [] }, host)
    expect(r.gpus.map(g => g.index)).toEqual([6, 7])
    expect(r.resources.scalar('gpus')).toBe(2)
  })

  test('without gpu/nvidia nothing is discovered, and --nvidia_gpu_devices is refused', async () => {
    const host = fakeGpuHost()
    const r = await setup({ isolation: 'cgroups/cpu' }, host)
    expect(r.resources.scalar('gpus')).toBe(0)
    expect(host.commands).toEqual([])
    await expect(setup({ isolation: 'cgroups/cpu', nvidia_gpu_devices: '0' })).rejects.toThrow("only be specified if the '--isolation' flag contains 'gpu/nvidia'")
  })

  test('clear start-up failures: no nvidia-smi, nvidia-smi failing, flag mismatch, gpus:0 with devices', async () => {
    await expect(setup({}, fakeGpuHost({ exists: () => false }))).rejects.toThrow('nvidia-smi was not found')
    const failing = fakeGpuHost({ run: async () => ({ code: 9, stdout: '', stderr: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver." }) })
    await expect(setup({}, failing)).rejects.toThrow(/GPU discovery failed: .*couldn't communicate with the NVIDIA driver/)
    await expect(setup({ resources: 'gpus:3', nvidia_gpu_devices: '0,1' })).rejects.toThrow('different numbers of GPU devices')
    await expect(setup({ resources: 'gpus:0', nvidia_gpu_devices: '0' })).rejects.toThrow('specifies 0 GPUs')
    const none = fakeGpuHost({ run: async () => ({ code: 0, stdout: '', stderr: '' }) })
    await expect(setup({}, none)).rejects.toThrow('found no NVIDIA GPU')
  })

  test('gpus:0 in --resources: the agent starts without GPUs and runs no discovery', async () => {
    const host = fakeGpuHost()
    const r = await setup({ resources: 'gpus:0' }, host)
    expect(r.gpus).toEqual([])
    expect(host.commands).toEqual([])
  })

  test('minors nvidia-smi cannot tell come from /proc/driver/nvidia; still unknown refuses the linux launcher', async () => {
    const csv = '0, GPU-a, [N/A], NVIDIA H100, 81559 MiB\n'
    const run: CommandRunner = async () => ({ code: 0, stdout: csv, stderr: '' })
    const info = fakeGpuHost({ run, readdir: () => ['0000:3b:00.0'], readFile: p => (p.endsWith('information') ? 'GPU UUID: GPU-a\nDevice Minor: 2\n' : '') })
    expect((await setup({}, info)).gpus[0]!.minor).toBe(2)
    await expect(setup({}, fakeGpuHost({ run }))).rejects.toThrow('device minor of GPU(s) 0 is unknown')
    expect((await setup({}, fakeGpuHost({ run }), 'posix')).gpus[0]!.minor).toBe(-1)
  })
})

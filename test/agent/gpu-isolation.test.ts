// What a container on a GPU agent gets: device nodes by minor number, a default-deny device cgroup admitting only
// them, the driver volume read-only, and the environment naming its GPUs; and how the driver volume is found or
// assembled. Over fake /proc/devices and nvidia-smi data.

import { describe, expect, test } from 'bun:test'
import { baseSpec, serializeSpec } from '../../src/agent/containerizer/oci-spec.ts'
import { applyNvidiaDevices, nvidiaDevices, nvidiaMajors, parseCharDevices } from '../../src/agent/isolators/gpu/device-nodes.ts'
import { driverMount, parseLdconfig, planDriverVolume, resolveDriverVolume, type VolumeDeps } from '../../src/agent/isolators/gpu/driver-volume.ts'
import { GpuAllocator, memoryStore } from '../../src/agent/isolators/gpu/gpu-allocator.ts'
import { gpuEnvironment, mergeEnvList } from '../../src/agent/isolators/gpu/gpu-environment.ts'
import { applyGpuSpec, NvidiaGpuIsolator } from '../../src/agent/isolators/gpu/nvidia-isolator.ts'
import { parseResourcesFlag, Resources } from '../../src/core/resources.ts'
import { FAKE_GPUS, FAKE_PROC_DEVICES, isolateGpus } from '../helpers/fake-gpus.ts'

const spec = (imageRoot = false) => {
  const s = baseSpec({
    argv: ['nvidia-smi', '-L'], env: { A: 'b' }, cwd: '/mnt/mesos/sandbox', uid: 0, gid: 0, cgroupsPath: '/meso/c', rootfs: '/b/rootfs',
    rootMounts: [], sandbox: { host: '/h/sandbox', container: '/mnt/mesos/sandbox' }, terminal: false, capabilities: [], ownNetwork: false,
  })
  s.root.readonly = !imageRoot
  return s
}
const majors = nvidiaMajors(FAKE_PROC_DEVICES)
const hostVolume = { hostPath: '/usr/local/nvidia', source: 'host' as const }
const res = (text: string) => Resources.of(parseResourcesFlag(text))
const envOf = (s: ReturnType<typeof spec>) => Object.fromEntries(s.process.env.map(e => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))

describe('device nodes and majors', () => {
  test('majors come from /proc/devices (character devices only); 195 when the driver is not listed', () => {
    expect(parseCharDevices(FAKE_PROC_DEVICES).get('nvidia-uvm')).toBe(508)
    expect(parseCharDevices(FAKE_PROC_DEVICES).has('sd')).toBe(false)
    expect(majors).toEqual({ nvidia: 195, uvm: 508 })
    expect(nvidiaMajors('Character devices:\n  1 mem\n')).toEqual({ nvidia: 195, uvm: undefined })
  })

  test('GPU index 0 with minor 4 is /dev/nvidia4 = 195:4, plus nvidiactl and the uvm devices; nothing without GPUs', () => {
    expect(nvidiaDevices([FAKE_GPUS[0]!], majors).map(d => `${d.path} ${d.type} ${d.major}:${d.minor} ${d.fileMode!.toString(8)}`)).toEqual([
      '/dev/nvidia4 c 195:4 666', '/dev/nvidiactl c 195:255 666', '/dev/nvidia-uvm c 508:0 666', '/dev/nvidia-uvm-tools c 508:1 666',
    ])
    expect(nvidiaDevices([], majors)).toEqual([])
    expect(nvidiaDevices([FAKE_GPUS[0]!], { nvidia: 195 }).map(d => d.path)).toEqual(['/dev/nvidia4', '/dev/nvidiactl'])
    expect(() => nvidiaDevices([{ ...FAKE_GPUS[0]!, minor: -1 }], majors)).toThrow('no known device minor')
  })

  test('rules: deny-all first, then exactly the given devices; allow rules of others are kept', () => {
    const s = spec()
    s.linux.resources = { devices: [{ allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }] }
    applyNvidiaDevices(s, nvidiaDevices([FAKE_GPUS[3]!], majors))
    expect(s.linux.resources.devices).toEqual([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
      { allow: true, type: 'c', major: 195, minor: 7, access: 'rwm' },
      { allow: true, type: 'c', major: 195, minor: 255, access: 'rwm' },
      { allow: true, type: 'c', major: 508, minor: 0, access: 'rwm' },
      { allow: true, type: 'c', major: 508, minor: 1, access: 'rwm' },
    ])
  })
})

describe('a container on an agent with 8 GPUs', () => {
  test('one GPU: its node by minor, the deny-all cgroup, the driver volume read-only, and its environment', () => {
    const allocator = new GpuAllocator(FAKE_GPUS, memoryStore())
    const iso = new NvidiaGpuIsolator({ allocator, majors: () => majors, volume: hostVolume, launcher: 'linux' })
    const s = spec()
    isolateGpus(iso, s, 'c1', res('cpus:1;gpus:1'))
    expect(s.linux.devices!.map(d => `${d.path}=${d.major}:${d.minor}`)).toEqual(['/dev/nvidia4=195:4', '/dev/nvidiactl=195:255', '/dev/nvidia-uvm=508:0', '/dev/nvidia-uvm-tools=508:1'])
    expect(s.linux.resources!.devices![0]).toEqual({ allow: false, access: 'rwm' })
    expect(s.linux.resources!.devices!.filter(r => r.allow).map(r => `${r.major}:${r.minor}`)).toEqual(['195:4', '195:255', '508:0', '508:1'])
    expect(s.mounts.at(-1)).toEqual({ destination: '/usr/local/nvidia', type: 'bind', source: '/usr/local/nvidia', options: ['rbind', 'ro', 'nosuid', 'nodev'] })
    const env = envOf(s)
    expect(env).toMatchObject({ A: 'b', NVIDIA_VISIBLE_DEVICES: '0', CUDA_VISIBLE_DEVICES: FAKE_GPUS[0]!.uuid, LD_LIBRARY_PATH: '/usr/local/nvidia/lib64:/usr/local/nvidia/lib' })
    expect(env.PATH!.endsWith(':/usr/local/nvidia/bin')).toBe(true)
    // crun reads it as written (no GPU node of another index sneaks in through the serializer).
    expect(JSON.parse(serializeSpec(s)).linux.devices[0]).toEqual({ path: '/dev/nvidia4', type: 'c', major: 195, minor: 4, fileMode: 438, uid: 0, gid: 0 })

    const s2 = spec()
    isolateGpus(iso, s2, 'c2', res('gpus:2'))
    expect(s2.linux.devices!.filter(d => /nvidia\d/.test(d.path)).map(d => d.path)).toEqual(['/dev/nvidia5', '/dev/nvidia6'])
    expect(envOf(s2).NVIDIA_VISIBLE_DEVICES).toBe('1,2')
  })

  test('no GPUs: no NVIDIA device at all, deny-all rules, no driver volume, and CUDA told of none', () => {
    const iso = new NvidiaGpuIsolator({ allocator: new GpuAllocator(FAKE_GPUS, memoryStore()), majors: () => majors, volume: hostVolume, launcher: 'linux' })
    const s = spec()
    const mounts = s.mounts.length
    isolateGpus(iso, s, 'c0', res('cpus:1;mem:32'))
    expect(s.linux.devices).toBeUndefined()
    expect(s.linux.resources!.devices).toEqual([{ allow: false, access: 'rwm' }])
    expect(s.mounts.length).toBe(mounts)
    expect(envOf(s)).toMatchObject({ NVIDIA_VISIBLE_DEVICES: 'void', CUDA_VISIBLE_DEVICES: '' })
  })

  test('with an image the volume is at /usr/local/nvidia; on the shared host root at its host path', () => {
    const assembled = { hostPath: '/var/lib/meso/agent/run/gpu/nvidia-driver', source: 'assembled' as const }
    const image = spec(true)
    applyGpuSpec(image, [FAKE_GPUS[0]!], majors, assembled)
    expect(image.mounts.at(-1)).toMatchObject({ destination: '/usr/local/nvidia', source: assembled.hostPath })
    expect(envOf(image).LD_LIBRARY_PATH).toBe('/usr/local/nvidia/lib64:/usr/local/nvidia/lib')
    expect(driverMount(assembled, false).containerPath).toBe(assembled.hostPath)
  })

  test('environment: existing PATH and LD_LIBRARY_PATH extended once; task values replaced', () => {
    const env = gpuEnvironment({ PATH: '/bin:/usr/local/nvidia/bin', LD_LIBRARY_PATH: '/opt/lib' }, [FAKE_GPUS[0]!, FAKE_GPUS[7]!], '/usr/local/nvidia')
    expect(env).toEqual({
      NVIDIA_VISIBLE_DEVICES: '0,7', CUDA_VISIBLE_DEVICES: `${FAKE_GPUS[0]!.uuid},${FAKE_GPUS[7]!.uuid}`,
      PATH: '/bin:/usr/local/nvidia/bin', LD_LIBRARY_PATH: '/opt/lib:/usr/local/nvidia/lib64:/usr/local/nvidia/lib',
    })
    expect(mergeEnvList(['A=1', 'CUDA_VISIBLE_DEVICES=9', 'B=2'], { CUDA_VISIBLE_DEVICES: '' })).toEqual(['A=1', 'B=2', 'CUDA_VISIBLE_DEVICES='])
  })

  test('nvidia-uvm loaded after the agent started is given to the next GPU container', () => {
    let procDevices = 'Character devices:\n195 nvidia-frontend\n'
    const iso = new NvidiaGpuIsolator({ allocator: new GpuAllocator(FAKE_GPUS, memoryStore()), majors: () => nvidiaMajors(procDevices), launcher: 'linux' })
    const before = spec()
    isolateGpus(iso, before, 'a', res('gpus:1'))
    expect(before.linux.devices!.map(d => d.path)).toEqual(['/dev/nvidia4', '/dev/nvidiactl'])
    procDevices = FAKE_PROC_DEVICES
    const after = spec()
    isolateGpus(iso, after, 'b', res('gpus:1'))
    expect(after.linux.devices!.map(d => d.path)).toEqual(['/dev/nvidia5', '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools'])
  })

  test('asking for more GPUs than are free fails the launch with a clear message', () => {
    const iso = new NvidiaGpuIsolator({ allocator: new GpuAllocator(FAKE_GPUS.slice(0, 2), memoryStore()), majors: () => majors, launcher: 'linux' })
    isolateGpus(iso, spec(), 'a', res('gpus:2'))
    expect(() => isolateGpus(iso, spec(), 'b', res('gpus:1'))).toThrow('Requested 1 GPU(s) but only 0 of 2 are free on this agent')
    iso.cleanup('a')
    expect(() => isolateGpus(iso, spec(), 'b', res('gpus:1'))).not.toThrow()
  })
})

describe('the driver volume', () => {
  const LDCONFIG = `1234 libs found in cache \`/etc/ld.so.cache'
\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1
\tlibnvidia-ml.so (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so
\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1
\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1
\tlibGL.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libGL.so.1
\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1
`
  const real: Record<string, string> = {
    '/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1': '/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.95.05',
    '/usr/lib/x86_64-linux-gnu/libnvidia-ml.so': '/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.95.05',
    '/usr/lib/x86_64-linux-gnu/libcuda.so.1': '/usr/lib/x86_64-linux-gnu/libcuda.so.580.95.05',
    '/usr/lib/i386-linux-gnu/libcuda.so.1': '/usr/lib/i386-linux-gnu/libcuda.so.580.95.05',
    '/usr/bin/nvidia-smi': '/usr/bin/nvidia-smi',
  }

  test('ldconfig -p parsing: name, 64-bit or not, path', () => {
    expect(parseLdconfig(LDCONFIG).slice(2, 4)).toEqual([
      { name: 'libcuda.so.1', path: '/usr/lib/x86_64-linux-gnu/libcuda.so.1', is64: true },
      { name: 'libcuda.so.1', path: '/usr/lib/i386-linux-gnu/libcuda.so.1', is64: false },
    ])
  })

  test('the plan copies each driver file once under its real name and links the cache names to it', () => {
    const libs = parseLdconfig(LDCONFIG).map(e => ({ ...e, realPath: real[e.path] ?? e.path }))
    const plan = planDriverVolume(libs, [{ name: 'nvidia-smi', realPath: '/usr/bin/nvidia-smi' }])
    expect(plan.copies).toEqual([
      { to: 'bin/nvidia-smi', from: '/usr/bin/nvidia-smi' },
      { to: 'lib64/libnvidia-ml.so.580.95.05', from: '/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.580.95.05' },
      { to: 'lib64/libcuda.so.580.95.05', from: '/usr/lib/x86_64-linux-gnu/libcuda.so.580.95.05' },
      { to: 'lib/libcuda.so.580.95.05', from: '/usr/lib/i386-linux-gnu/libcuda.so.580.95.05' },
    ])
    expect(plan.links).toContainEqual({ path: 'lib64/libnvidia-ml.so.1', target: 'libnvidia-ml.so.580.95.05' })
    expect(plan.links).toContainEqual({ path: 'lib64/libnvidia-ml.so', target: 'libnvidia-ml.so.580.95.05' })
    expect(plan.copies.some(c => c.to.includes('libGL') || c.to.includes('libz'))).toBe(false)
  })

  const deps = (present: string[], ldconfig = LDCONFIG) => {
    const done: string[] = []
    const d: VolumeDeps = {
      run: async () => ({ code: 0, stdout: ldconfig, stderr: '' }),
      which: n => (n === 'nvidia-smi' && present.includes('/usr/bin/nvidia-smi') ? '/usr/bin/nvidia-smi' : null),
      exists: p => present.includes(p),
      realpath: p => real[p] ?? p,
      copy: (from, to) => { done.push(`cp ${from} ${to}`) },
      symlink: (target, path) => { done.push(`ln ${target} ${path}`) },
      mkdir: () => {},
    }
    return { d, done }
  }

  test('--nvidia_driver_dir wins, then /usr/local/nvidia, then a volume assembled under the runtime dir', async () => {
    expect(await resolveDriverVolume({ driverDir: '/opt/nv', runtimeDir: '/r' }, deps(['/opt/nv']).d)).toEqual({ hostPath: '/opt/nv', source: 'flag' })
    await expect(resolveDriverVolume({ driverDir: '/opt/nv', runtimeDir: '/r' }, deps([]).d)).rejects.toThrow('--nvidia_driver_dir /opt/nv does not exist')
    expect(await resolveDriverVolume({ runtimeDir: '/r' }, deps(['/usr/local/nvidia/lib64']).d)).toEqual({ hostPath: '/usr/local/nvidia', source: 'host' })
    const { d, done } = deps(['/usr/bin/nvidia-smi'])
    expect(await resolveDriverVolume({ runtimeDir: '/r' }, d)).toEqual({ hostPath: '/r/gpu/nvidia-driver', source: 'assembled' })
    expect(done).toContain('cp /usr/bin/nvidia-smi /r/gpu/nvidia-driver/bin/nvidia-smi')
    expect(done).toContain('ln libcuda.so.580.95.05 /r/gpu/nvidia-driver/lib64/libcuda.so.1')
    expect(await resolveDriverVolume({ runtimeDir: '/r' }, deps([], '').d)).toBeUndefined()
  })
})

// Agent start with gpu/nvidia in --isolation: discover the GPUs, check them against the flags, add `gpus` to the
// resources and `gpu_models` to the attributes, and make the gpu/nvidia isolator (nvidia-isolator.ts). Any problem
// stops the agent with a message naming the flag or the tool at fault. Host access goes through `GpuHost` so tests
// run it over fake nvidia-smi output and a fake /proc and /dev.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../../core/log.ts'
import { parseResourcesFlag, type Resources } from '../../../core/resources.ts'
import type { Attribute } from '../../../core/v1/messages.ts'
import type { AgentFlags } from '../../flags.ts'
import { nvidiaMajors } from './device-nodes.ts'
import { hostVolumeDeps, resolveDriverVolume, type VolumeDeps } from './driver-volume.ts'
import { GpuAllocator, jsonFileStore, type AssignmentStore } from './gpu-allocator.ts'
import { GpuConfigError, gpuIsolationEnabled, parseGpuDevicesFlag, refuseGpuDevicesWithoutIsolator, resourceGpusOf, selectAgentGpus, withGpuModels, withGpuResources } from './gpu-flags.ts'
import { NvidiaGpuIsolator } from './nvidia-isolator.ts'
import { findNvidiaSmi, GpuUsageSampler, parseGpuInformation, queryGpus, spawnRunner, type CommandRunner, type NvidiaGpu } from './nvidia-smi.ts'

const log = logger('gpu')

export interface GpuHost {
  run: CommandRunner
  which(name: string): string | null | undefined
  exists(path: string): boolean
  readFile(path: string): string | undefined
  readdir(path: string): string[]
  volume: VolumeDeps
  /** Where GPU assignments are checkpointed (default: <runtime_dir>/gpu/assignments.json). */
  store?: AssignmentStore
}

export function realGpuHost(): GpuHost {
  const run = spawnRunner()
  return {
    run,
    which: name => Bun.which(name),
    exists: existsSync,
    readFile: p => { try { return readFileSync(p, 'utf8') } catch { return undefined } },
    readdir: p => { try { return readdirSync(p) } catch { return [] } },
    volume: hostVolumeDeps(run),
  }
}

/** nvidia-smi's list, with device minors it could not tell (`[N/A]`) read from /proc/driver/nvidia instead. */
export async function discoverGpus(host: GpuHost, nvidiaSmi: string): Promise<NvidiaGpu[]> {
  const gpus = await queryGpus(host.run, nvidiaSmi)
  if (gpus.every(g => g.minor >= 0)) return gpus
  const dir = '/proc/driver/nvidia/gpus'
  const minors = new Map<string, number>()
  for (const pci of host.readdir(dir)) {
    const info = parseGpuInformation(host.readFile(join(dir, pci, 'information')) ?? '')
    if (info.uuid && info.minor !== undefined) minors.set(info.uuid, info.minor)
  }
  return gpus.map(g => (g.minor >= 0 ? g : { ...g, minor: minors.get(g.uuid) ?? -1 }))
}

export interface GpuSetup {
  resources: Resources
  attributes: Attribute[]
  gpus: NvidiaGpu[]
  /** Undefined when gpu/nvidia is off or manages no GPU (gpus:0). */
  isolator?: NvidiaGpuIsolator
}

export type GpuFlags = Pick<AgentFlags, 'isolation' | 'nvidia_gpu_devices' | 'nvidia_driver_dir' | 'resources' | 'default_role'>

export async function setupNvidiaGpus(
  i: { flags: GpuFlags; runtimeDir: string; launcher: 'linux' | 'posix'; resources: Resources; attributes: Attribute[] },
  host: GpuHost = realGpuHost(),
): Promise<GpuSetup> {
  const { flags } = i
  const unchanged = { resources: i.resources, attributes: i.attributes, gpus: [] }
  const devices = parseGpuDevicesFlag(flags.nvidia_gpu_devices)
  if (!gpuIsolationEnabled(flags.isolation)) {
    refuseGpuDevicesWithoutIsolator(flags.nvidia_gpu_devices)
    return unchanged
  }
  const resourceGpus = resourceGpusOf(flags.resources ? parseResourcesFlag(flags.resources, flags.default_role) : [])
  if (resourceGpus === 0 && !devices) {
    log.info("gpu/nvidia: --resources says gpus:0, so no GPU is discovered or offered")
    return unchanged
  }
  const nvidiaSmi = findNvidiaSmi({ driverDir: flags.nvidia_driver_dir, which: host.which, exists: host.exists })
  if (!nvidiaSmi) throw new GpuConfigError('gpu/nvidia is in --isolation but nvidia-smi was not found (looked in --nvidia_driver_dir/bin, PATH and /usr/local/nvidia/bin)')
  const found = await discoverGpus(host, nvidiaSmi).catch(err => { throw new GpuConfigError(`gpu/nvidia: GPU discovery failed: ${(err as Error).message}`) })
  const gpus = selectAgentGpus(found, { devices, resourceGpus })

  const readMajors = () => nvidiaMajors(host.readFile('/proc/devices') ?? '')
  const majors = readMajors()
  const unknownMinor = gpus.filter(g => g.minor < 0)
  if (unknownMinor.length && i.launcher === 'linux') {
    throw new GpuConfigError(`gpu/nvidia: the device minor of GPU(s) ${unknownMinor.map(g => g.index).join(',')} is unknown (nvidia-smi minor_number is [N/A] and /proc/driver/nvidia has none), so their /dev/nvidiaN cannot be given to containers`)
  }
  const missing = gpus.filter(g => g.minor >= 0 && !host.exists(`/dev/nvidia${g.minor}`))
  if (missing.length) log.warn(`gpu/nvidia: ${missing.map(g => `/dev/nvidia${g.minor}`).join(', ')} missing on the host (containers get their own nodes; is the driver loaded?)`)
  if (majors.uvm === undefined) log.warn('gpu/nvidia: nvidia-uvm is not in /proc/devices (yet); until its module is loaded (e.g. nvidia-modprobe -u -c=0) GPU containers get no /dev/nvidia-uvm, which CUDA needs')

  const volume = await resolveDriverVolume({ driverDir: flags.nvidia_driver_dir, runtimeDir: i.runtimeDir }, host.volume)
  if (!volume) log.warn('gpu/nvidia: no NVIDIA driver libraries found (ldconfig -p, /usr/local/nvidia); GPU containers get devices but no driver volume')
  const allocator = new GpuAllocator(gpus, host.store ?? jsonFileStore(join(i.runtimeDir, 'gpu', 'assignments.json')))

  if (i.launcher === 'posix') {
    log.warn('gpu/nvidia with the posix launcher: tasks get their GPUs in NVIDIA_VISIBLE_DEVICES/CUDA_VISIBLE_DEVICES only; devices are not fenced off (that needs the linux launcher: crun and conmon)')
  }
  const isolator = new NvidiaGpuIsolator({ allocator, majors: readMajors, volume, sampler: new GpuUsageSampler(host.run, nvidiaSmi), launcher: i.launcher })

  log.info(`gpu/nvidia: ${gpus.length} GPU(s): ${gpus.map(g => `${g.index}=${g.name} (/dev/nvidia${g.minor})`).join(', ')}; ` +
    `driver volume ${volume ? `${volume.hostPath} (${volume.source})` : 'none'}; nvidia major ${majors.nvidia}, uvm major ${majors.uvm ?? 'none'}`)
  return {
    resources: withGpuResources(i.resources, gpus.length, flags.default_role),
    attributes: withGpuModels(i.attributes, gpus),
    gpus,
    isolator,
  }
}

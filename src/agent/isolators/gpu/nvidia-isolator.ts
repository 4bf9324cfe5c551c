// The gpu/nvidia isolator. `prepare` allocates the GPUs a container asks for (`gpus`), `cleanup` frees them,
// `recover` keeps those of re-adopted containers, `usage` adds their figures. With the linux launcher `isolate`
// gives the container its GPUs as device nodes, a default-deny device cgroup that admits only those, the driver
// volume read-only and the environment naming them; a container without GPUs on a GPU agent gets the deny rules
// alone, so no NVIDIA device exists or can be opened inside it. The posix launcher has no spec to shape and no
// device cgroup: its containers get the environment only (CUDA honours CUDA_VISIBLE_DEVICES, but any process may
// still open every /dev/nvidia*). Mesos: src/slave/containerizer/mesos/isolators/gpu/isolator.cpp.

import { logger } from '../../../core/log.ts'
import type { OciSpec } from '../../containerizer/oci-spec.ts'
import type { ContainerRef, IsolationContext, Isolator, LaunchInfo } from '../isolator.ts'
import { applyNvidiaDevices, nvidiaDevices, type NvidiaMajors } from './device-nodes.ts'
import { driverMount, type DriverVolume } from './driver-volume.ts'
import { requestedGpus, type GpuAllocator } from './gpu-allocator.ts'
import { envListToRecord, gpuEnvironment, mergeEnvList } from './gpu-environment.ts'
import { gpuStatistics } from './gpu-statistics.ts'
import type { GpuUsageSampler, NvidiaGpu } from './nvidia-smi.ts'

const log = logger('gpu')

/** Shapes a spec for a container holding `gpus` (possibly none). Pure. */
export function applyGpuSpec(spec: OciSpec, gpus: NvidiaGpu[], majors: NvidiaMajors, volume?: DriverVolume) {
  applyNvidiaDevices(spec, nvidiaDevices(gpus, majors))
  let driverPath: string | undefined
  if (gpus.length && volume) {
    // The launcher gives containers with an image a writable root of their own; without one the host's is shared read-only.
    const m = driverMount(volume, !spec.root.readonly)
    spec.mounts.push(m.mount)
    driverPath = m.containerPath
  }
  spec.process.env = mergeEnvList(spec.process.env, gpuEnvironment(envListToRecord(spec.process.env), gpus, driverPath))
}

export interface NvidiaGpuIsolatorOptions {
  allocator: GpuAllocator
  /**
   * Asked at every launch: nvidia-uvm's major exists only once its module is loaded, which CUDA's nvidia-modprobe
   * may do after the agent started.
   */
  majors: () => NvidiaMajors
  volume?: DriverVolume
  sampler?: GpuUsageSampler
  /** 'posix': environment only (from `prepare`); 'linux': devices, cgroup rules, volume and environment in the spec. */
  launcher: 'linux' | 'posix'
}

export class NvidiaGpuIsolator implements Isolator {
  readonly name = 'gpu/nvidia'
  readonly posix = true

  constructor(private readonly o: NvidiaGpuIsolatorOptions) {}

  prepare(ctx: IsolationContext): LaunchInfo | undefined {
    const count = requestedGpus(ctx.resources)
    const gpus = count ? this.o.allocator.allocate(ctx.containerId, count) : []
    if (gpus.length) log.info(`Container ${ctx.containerId} gets GPU(s) ${gpus.map(g => `${g.index} (/dev/nvidia${g.minor})`).join(', ')}`)
    if (this.o.launcher === 'posix') return { env: gpuEnvironment(ctx.env, gpus, this.o.volume?.hostPath) }
    return undefined
  }

  isolate(spec: OciSpec, ctx: IsolationContext) {
    applyGpuSpec(spec, this.o.allocator.assigned(ctx.containerId) ?? [], this.o.majors(), this.o.volume)
  }

  async usage(c: ContainerRef): Promise<Record<string, number>> {
    const gpus = this.o.allocator.assigned(c.containerId)
    if (!gpus?.length || !this.o.sampler) return {}
    return gpuStatistics(gpus, await this.o.sampler.sample())
  }

  cleanup(containerId: string) {
    const gpus = this.o.allocator.release(containerId)
    if (gpus.length) log.info(`Container ${containerId} released GPU(s) ${gpus.map(g => g.index).join(',')}`)
  }

  recover(containers: ContainerRef[]) {
    const { kept, freed } = this.o.allocator.recover(new Set(containers.map(c => c.containerId)))
    if (kept.length || freed.length) log.info(`Recovered GPU assignments of ${kept.length} container(s); freed those of ${freed.length} unknown one(s)`)
  }
}

// gpu/nvidia for the linux launcher (its DeviceIsolation extension point): a container gets the GPUs it was
// allocated as device nodes, a default-deny device cgroup that admits only those, the driver volume read-only,
// and the environment naming them. A container without GPUs on a GPU agent gets the deny rules alone: no NVIDIA
// device exists or can be opened inside it.

import { logger } from '../../core/log.ts'
import type { Resources } from '../../core/resources.ts'
import type { DeviceIsolation } from '../containerizer/extensions.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'
import { applyNvidiaDevices, nvidiaDevices, type NvidiaMajors } from './device-nodes.ts'
import { driverMount, type DriverVolume } from './driver-volume.ts'
import { requestedGpus, type GpuAllocator } from './gpu-allocator.ts'
import { envListToRecord, gpuEnvironment, mergeEnvList } from './gpu-environment.ts'
import type { NvidiaGpu } from './nvidia-smi.ts'

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

export class NvidiaDeviceIsolation implements DeviceIsolation {
  /**
   * `majors` is asked at every launch: nvidia-uvm's major exists only once its module is loaded, which CUDA's
   * nvidia-modprobe may do after the agent started.
   */
  constructor(private readonly allocator: GpuAllocator, private readonly majors: () => NvidiaMajors, private readonly volume?: DriverVolume) {}

  isolate(spec: OciSpec, containerId: string, resources: Resources) {
    const count = requestedGpus(resources)
    const gpus = count ? this.allocator.allocate(containerId, count) : []
    applyGpuSpec(spec, gpus, this.majors(), this.volume)
    if (gpus.length) log.info(`Container ${containerId} gets GPU(s) ${gpus.map(g => `${g.index} (/dev/nvidia${g.minor})`).join(', ')}`)
  }

  release(containerId: string) {
    const gpus = this.allocator.release(containerId)
    if (gpus.length) log.info(`Container ${containerId} released GPU(s) ${gpus.map(g => g.index).join(',')}`)
  }

  recover(containers: { containerId: string; resources: Resources }[]) {
    const { kept, freed } = this.allocator.recover(new Set(containers.map(c => c.containerId)))
    if (kept.length || freed.length) log.info(`Recovered GPU assignments of ${kept.length} container(s); freed those of ${freed.length} unknown one(s)`)
  }
}

// Hooks GPU support into the launcher the agent picked. The linux launcher has an extension point for devices
// (NvidiaDeviceIsolation). The posix launcher has no spec to shape and no device cgroup: its containers get their
// GPU allocation and environment only (CUDA honours CUDA_VISIBLE_DEVICES, but any process may still open every
// /dev/nvidia*). Both get GPU figures added to their usage. The methods are wrapped on the launcher object itself,
// not on a new one, because the agent, the executors and tests all hold that very object.

import type { Launcher, LaunchSpec, RecoveredContainer } from '../containerizer/launcher.ts'
import type { DriverVolume } from './driver-volume.ts'
import { requestedGpus, type GpuAllocator } from './gpu-allocator.ts'
import { gpuEnvironment } from './gpu-environment.ts'
import { gpuStatistics } from './gpu-statistics.ts'
import type { GpuUsageSampler } from './nvidia-smi.ts'

/** Allocation, release, recovery and environment for the posix launcher. */
export function addGpusToPosixLauncher(launcher: Launcher, allocator: GpuAllocator, volume?: DriverVolume) {
  const { launch, destroy, recover, cleanupOrphans } = launcher
  launcher.launch = async (spec: LaunchSpec) => {
    const count = requestedGpus(spec.resources)
    const gpus = count ? allocator.allocate(spec.containerId, count) : []
    const env = { ...spec.env, ...gpuEnvironment(spec.env, gpus, volume?.hostPath) }
    try {
      return await launch.call(launcher, { ...spec, env })
    } catch (err) {
      allocator.release(spec.containerId)
      throw err
    }
  }
  launcher.destroy = async (id: string) => {
    try { await destroy.call(launcher, id) } finally { allocator.release(id) }
  }
  launcher.recover = async (containers: RecoveredContainer[]) => {
    await recover.call(launcher, containers)
    allocator.recover(new Set(containers.map(c => c.containerId)))
  }
  launcher.cleanupOrphans = async (known: Set<string>) => {
    const removed = await cleanupOrphans.call(launcher, known)
    for (const id of removed) allocator.release(id)
    return removed
  }
}

/** gpus_utilization, gpus_memory_used_bytes, gpus_memory_total_bytes for containers holding GPUs. */
export function addGpuStatistics(launcher: Launcher, allocator: GpuAllocator, sampler: GpuUsageSampler) {
  const usage = launcher.usage
  launcher.usage = async (id: string) => {
    const u = await usage.call(launcher, id)
    const gpus = allocator.assigned(id)
    if (!u || !gpus?.length) return u
    return { ...u, ...gpuStatistics(gpus, await sampler.sample()) }
  }
}

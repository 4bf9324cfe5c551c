// Per-container GPU figures for /monitor/statistics and GET_CONTAINERS. mesos.proto's ResourceStatistics has no GPU
// fields, so these are meso's own keys, present only for containers holding GPUs:
//   gpus_utilization        mean utilisation of the container's GPUs, percent (0-100), as nvidia-smi samples it
//   gpus_memory_used_bytes  device memory in use on its GPUs (whole GPUs are allocated: all of it is the task's)
//   gpus_memory_total_bytes device memory of its GPUs
// Pure: usage samples come in as data.

import type { GpuUsage, NvidiaGpu } from './nvidia-smi.ts'

export function gpuStatistics(gpus: NvidiaGpu[], usage: GpuUsage[]): Record<string, number> {
  const byUuid = new Map(usage.map(u => [u.uuid, u]))
  const mine = gpus.flatMap(g => byUuid.get(g.uuid) ?? [])
  if (!mine.length) return {}
  return {
    gpus_utilization: mine.reduce((s, u) => s + u.utilizationPercent, 0) / mine.length,
    gpus_memory_used_bytes: mine.reduce((s, u) => s + u.memoryUsedBytes, 0),
    gpus_memory_total_bytes: mine.reduce((s, u) => s + u.memoryTotalBytes, 0),
  }
}

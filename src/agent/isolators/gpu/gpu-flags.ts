// What the agent's flags say about GPUs, with Mesos' rules (gpu/allocator.cpp): GPUs are discovered only when
// --isolation has gpu/nvidia; `--nvidia_gpu_devices` and `gpus` in --resources are given together or not at all,
// and must agree; an explicit `gpus:0` turns discovery off. Pure: the discovered GPUs come in as data.

import { Resources, type Resource } from '../../../core/resources.ts'
import type { Attribute } from '../../../core/v1/messages.ts'
import type { NvidiaGpu } from './nvidia-smi.ts'

export class GpuConfigError extends Error {}

export const GPU_ISOLATOR = 'gpu/nvidia'
export const GPU_MODELS_ATTRIBUTE = 'gpu_models'

export function gpuIsolationEnabled(isolation: string | undefined): boolean {
  return (isolation ?? '').split(',').map(s => s.trim()).includes(GPU_ISOLATOR)
}

/** --nvidia_gpu_devices without gpu/nvidia in --isolation is refused, as Mesos does. */
export function refuseGpuDevicesWithoutIsolator(devicesFlag: string | undefined) {
  if (parseGpuDevicesFlag(devicesFlag)) throw new GpuConfigError("'--nvidia_gpu_devices' can only be specified if the '--isolation' flag contains 'gpu/nvidia'")
}

/** `--nvidia_gpu_devices=0,1` or Mesos' JSON-ish `[0,1]`: unique non-negative indices. */
export function parseGpuDevicesFlag(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined
  const body = text.trim().replace(/^\[(.*)\]$/s, '$1')
  const indices = body.split(',').map(s => s.trim()).filter(Boolean).map(s => {
    if (!/^\d+$/.test(s)) throw new GpuConfigError(`--nvidia_gpu_devices: '${s}' is not a GPU index (expected e.g. 0,1)`)
    return Number(s)
  })
  if (new Set(indices).size !== indices.length) throw new GpuConfigError("'--nvidia_gpu_devices' contains duplicates")
  return indices
}

/**
 * The GPUs this agent manages. `resourceGpus` is the `gpus` amount written in --resources (undefined when absent).
 * Returns [] when `gpus:0` was asked for explicitly.
 */
export function selectAgentGpus(found: NvidiaGpu[], o: { devices?: number[]; resourceGpus?: number }): NvidiaGpu[] {
  const { devices, resourceGpus } = o
  if (resourceGpus !== undefined && !Number.isInteger(resourceGpus)) throw new GpuConfigError(`The 'gpus' resource must be a non-negative integer, got ${resourceGpus}`)
  if (resourceGpus === 0) {
    if (devices) throw new GpuConfigError("'--nvidia_gpu_devices' cannot be specified when '--resources' specifies 0 GPUs")
    return []
  }
  if (devices && resourceGpus === undefined) throw new GpuConfigError("'--nvidia_gpu_devices' cannot be set without also setting 'gpus' in '--resources'")
  if (resourceGpus !== undefined && !devices) throw new GpuConfigError("The 'gpus' resource cannot be set without also setting '--nvidia_gpu_devices'")
  if (!found.length) throw new GpuConfigError('gpu/nvidia is in --isolation but nvidia-smi found no NVIDIA GPU on this host')
  if (!devices) return [...found]
  if (devices.length !== resourceGpus) {
    throw new GpuConfigError(`'--resources' and '--nvidia_gpu_devices' specify different numbers of GPU devices (gpus:${resourceGpus}, ${devices.length} devices)`)
  }
  const byIndex = new Map(found.map(g => [g.index, g]))
  return devices.map(i => {
    const g = byIndex.get(i)
    if (!g) throw new GpuConfigError(`--nvidia_gpu_devices: GPU ${i} does not exist (this host has GPUs ${found.map(x => x.index).join(',')})`)
    return g
  })
}

/** The `gpus` written in --resources, or undefined when --resources does not mention them. */
export function resourceGpusOf(given: Resource[]): number | undefined {
  return given.some(r => r.name === 'gpus') ? Resources.of(given).scalar('gpus') : undefined
}

/** Adds `gpus:N` (in --default_role, as auto-detected resources are) unless --resources already holds them. */
export function withGpuResources(resources: Resources, count: number, defaultRole = '*'): Resources {
  if (!count || resources.scalar('gpus') > 0) return resources
  const r: Resource = { name: 'gpus', type: 'SCALAR', scalar: { value: count } }
  if (defaultRole !== '*') r.reservations = [{ type: 'STATIC', role: defaultRole }]
  return resources.plus(Resources.of([r]))
}

/** `gpu_models`: one model name per GPU, comma separated (what `meso agent list` shows); --attributes wins. */
export function withGpuModels(attributes: Attribute[], gpus: NvidiaGpu[]): Attribute[] {
  if (!gpus.length || attributes.some(a => a.name === GPU_MODELS_ATTRIBUTE)) return attributes
  return [...attributes, { name: GPU_MODELS_ATTRIBUTE, type: 'TEXT', text: { value: gpus.map(g => g.name.replaceAll(',', ' ')).join(',') } }]
}

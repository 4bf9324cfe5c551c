// The environment of a container on a GPU agent. NVIDIA_VISIBLE_DEVICES names the host indices it holds (what
// nvidia-docker images read); CUDA_VISIBLE_DEVICES names them by UUID, which CUDA resolves the same way whether the
// container sees only its own device nodes (linux launcher) or every GPU (posix launcher). A container without
// GPUs gets NVIDIA_VISIBLE_DEVICES=void and an empty CUDA_VISIBLE_DEVICES, so CUDA finds nothing even where the
// devices themselves are not fenced off. The driver volume's bin/ joins PATH and its lib64/ and lib/ join
// LD_LIBRARY_PATH (appended, as Mesos does, so an image's own compat libraries win). Pure.

import type { NvidiaGpu } from './nvidia-smi.ts'

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

function appendPath(current: string | undefined, ...dirs: string[]): string {
  const parts = (current ?? '').split(':').filter(Boolean)
  for (const d of dirs) if (!parts.includes(d)) parts.push(d)
  return parts.join(':')
}

/** The variables to set (over `env`) for a container holding `gpus`; `driverPath` is the volume inside it. */
export function gpuEnvironment(env: Record<string, string>, gpus: NvidiaGpu[], driverPath?: string): Record<string, string> {
  const out: Record<string, string> = gpus.length
    ? { NVIDIA_VISIBLE_DEVICES: gpus.map(g => g.index).join(','), CUDA_VISIBLE_DEVICES: gpus.map(g => g.uuid).join(',') }
    : { NVIDIA_VISIBLE_DEVICES: 'void', CUDA_VISIBLE_DEVICES: '' }
  if (gpus.length && driverPath) {
    out.PATH = appendPath(env.PATH ?? DEFAULT_PATH, `${driverPath}/bin`)
    out.LD_LIBRARY_PATH = appendPath(env.LD_LIBRARY_PATH, `${driverPath}/lib64`, `${driverPath}/lib`)
  }
  return out
}

/** OCI `process.env` (`K=V` list) as a record and back, keeping the order of existing entries. */
export function mergeEnvList(list: string[], vars: Record<string, string>): string[] {
  const kept = list.filter(e => !Object.hasOwn(vars, e.split('=', 1)[0]!))
  return [...kept, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]
}

export function envListToRecord(list: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of list) {
    const i = e.indexOf('=')
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1)
  }
  return out
}

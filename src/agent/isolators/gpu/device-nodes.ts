// The NVIDIA character devices a container needs and the cgroup device rules that confine it to them. GPU N is
// /dev/nvidia<minor> = 195:<minor> (the minor is not always the index); every CUDA process also needs
// /dev/nvidiactl (195:255) and the unified-memory devices, whose major is dynamic and read from /proc/devices.
// The rules start with deny-all, so a container on a GPU agent can open no NVIDIA device it was not given, even one
// it mknods itself; crun appends its standard allow list (null, zero, tty, pts, …) and enforces the result with the
// v1 devices controller or, on cgroup v2, an eBPF device program. Pure: /proc/devices comes in as text.

import type { OciSpec } from '../../containerizer/oci-spec.ts'
import type { NvidiaGpu } from './nvidia-smi.ts'

export type OciDevice = NonNullable<OciSpec['linux']['devices']>[number]
export type DeviceRule = NonNullable<NonNullable<OciSpec['linux']['resources']>['devices']>[number]

/** NVIDIA's fixed character major (Mesos hard-codes it too); used when /proc/devices does not list the driver. */
export const NVIDIA_MAJOR = 195
export const NVIDIACTL_MINOR = 255

export interface NvidiaMajors {
  nvidia: number
  /** nvidia-uvm's dynamic major; undefined when the module is not loaded (then no uvm devices are given). */
  uvm?: number
}

/** Character device majors by driver name, from /proc/devices. */
export function parseCharDevices(procDevices: string): Map<string, number> {
  const out = new Map<string, number>()
  let inChar = false
  for (const line of procDevices.split('\n')) {
    if (/^Character devices:/.test(line)) { inChar = true; continue }
    if (/^Block devices:/.test(line)) { inChar = false; continue }
    const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(line)
    if (inChar && m && !out.has(m[2]!)) out.set(m[2]!, Number(m[1]))
  }
  return out
}

export function nvidiaMajors(procDevices: string): NvidiaMajors {
  const chars = parseCharDevices(procDevices)
  return { nvidia: chars.get('nvidia-frontend') ?? chars.get('nvidia') ?? NVIDIA_MAJOR, uvm: chars.get('nvidia-uvm') }
}

const node = (path: string, major: number, minor: number): OciDevice => ({ path, type: 'c', major, minor, fileMode: 0o666, uid: 0, gid: 0 })

/** Device nodes for a container holding `gpus`: none at all when it holds no GPU. */
export function nvidiaDevices(gpus: NvidiaGpu[], majors: NvidiaMajors): OciDevice[] {
  if (!gpus.length) return []
  const devices = gpus.map(g => {
    if (g.minor < 0) throw new Error(`GPU ${g.index} (${g.uuid}) has no known device minor number`)
    return node(`/dev/nvidia${g.minor}`, majors.nvidia, g.minor)
  })
  devices.push(node('/dev/nvidiactl', majors.nvidia, NVIDIACTL_MINOR))
  if (majors.uvm !== undefined) devices.push(node('/dev/nvidia-uvm', majors.uvm, 0), node('/dev/nvidia-uvm-tools', majors.uvm, 1))
  return devices
}

/** Default-deny, then exactly the container's devices (crun adds its standard set after these). */
export function nvidiaDeviceRules(devices: OciDevice[]): DeviceRule[] {
  return [{ allow: false, access: 'rwm' }, ...devices.map(d => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: 'rwm' }))]
}

/** Adds the devices and rules to a spec, keeping allow rules other modules put there (after our deny-all). */
export function applyNvidiaDevices(spec: OciSpec, devices: OciDevice[]) {
  const resources = (spec.linux.resources ??= {})
  const others = (resources.devices ?? []).filter(r => r.allow)
  const [denyAll, ...allows] = nvidiaDeviceRules(devices)
  resources.devices = [denyAll!, ...others, ...allows]
  if (devices.length) spec.linux.devices = [...(spec.linux.devices ?? []), ...devices]
}

// `meso task run --vip NAME:PORT[:TASKPORT][/udp]` (or IP:PORT…) → the task's DiscoveryInfo with DC/OS VIP labels
// (VIP_<n>) on its ports, as Marathon writes them from an app's port definitions. TASKPORT, where the task listens
// (in its container on a CNI network, on the host otherwise), defaults to PORT. Pure.

import { parseVipLabel } from '../../master/vips/vip-labels.ts'

export interface VipFlag { label: string; taskPort: number; protocol: 'tcp' | 'udp' }

export function parseVipFlag(value: string): VipFlag {
  let v = value.trim()
  let protocol: 'tcp' | 'udp' = 'tcp'
  const slash = /\/(tcp|udp)$/i.exec(v)
  if (slash) { protocol = slash[1]!.toLowerCase() as 'tcp' | 'udp'; v = v.slice(0, -slash[0].length) }
  const parts = v.split(':')
  let taskPort: number | undefined
  if (parts.length === 3) {
    const p = parts.pop()!
    taskPort = /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535 ? Number(p) : NaN
    if (Number.isNaN(taskPort)) throw new Error(`--vip ${value}: the task port '${p}' must be 1-65535`)
  }
  if (parts.length !== 2) throw new Error(`--vip ${value}: expected NAME:PORT[:TASKPORT][/udp] or IP:PORT[:TASKPORT][/udp]`)
  const joined = parts.join(':')
  const parsed = parseVipLabel(joined.startsWith('/') || /^\d+\.\d+\.\d+\.\d+:/.test(joined) ? joined : `/${joined}`)
  if ('error' in parsed) throw new Error(`--vip ${value}: ${parsed.error}`)
  const label = parsed.kind === 'ip' ? `${parsed.ip}:${parsed.port}` : `/${parsed.name}:${parsed.port}`
  return { label, taskPort: taskPort ?? parsed.port, protocol }
}

/** DiscoveryInfo (v1 JSON) for a task called `name` with these VIPs: one port per VIP, labelled VIP_0, VIP_1, … */
export function vipDiscovery(name: string, vips: VipFlag[]): Record<string, unknown> {
  return {
    visibility: 'FRAMEWORK', name,
    ports: { ports: vips.map((v, i) => ({ number: v.taskPort, protocol: v.protocol, labels: { labels: [{ key: `VIP_${i}`, value: v.label }] } })) },
  }
}

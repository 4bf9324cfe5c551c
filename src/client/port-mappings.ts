// `meso task run --network NAME -p HOSTPORT:CONTAINERPORT[/udp]`: the task's NetworkInfo, and the `ports` resources
// its host ports need (the master refuses a mapping whose host port the task does not hold). Pure.

import { CliError } from './cluster.ts'
import { EXIT } from './exit-codes.ts'
import { mergeRanges, type Resource } from '../core/resources.ts'
import type { ContainerInfo, NetworkInfo } from '../core/v1/messages.ts'

export type PortMapping = NonNullable<NetworkInfo['port_mappings']>[number]

export function parsePortMapping(arg: string): PortMapping {
  const m = /^(\d+):(\d+)(?:\/(tcp|udp))?$/i.exec(arg.trim())
  const port = (s: string) => { const n = Number(s); return n > 0 && n < 65536 ? n : undefined }
  const host = m && port(m[1]!)
  const container = m && port(m[2]!)
  if (!m || !host || !container) throw new CliError(`-p expects HOSTPORT:CONTAINERPORT[/tcp|/udp] with ports 1-65535, got '${arg}'`, EXIT.USAGE)
  return { host_port: host, container_port: container, protocol: (m[3] ?? 'tcp').toLowerCase() }
}

/** The `ports` resource covering the mappings' host ports (one range per run of consecutive ports). */
export function hostPortsResource(mappings: PortMapping[]): Resource[] {
  if (!mappings.length) return []
  return [{ name: 'ports', type: 'RANGES', ranges: { range: mergeRanges(mappings.map(pm => ({ begin: pm.host_port, end: pm.host_port }))) } }]
}

/** The task's ContainerInfo with the network joined (MESOS type; other settings such as rlimits kept). */
export function withNetwork(container: ContainerInfo | undefined, network: string, mappings: PortMapping[]): ContainerInfo {
  const info: NetworkInfo = { name: network }
  if (mappings.length) info.port_mappings = mappings
  return { ...(container ?? { type: 'MESOS' }), network_infos: [...(container?.network_infos ?? []), info] }
}

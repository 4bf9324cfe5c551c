// The MasterInfo a master advertises (mesos.v1.MasterInfo): its id, where frameworks and agents reach it, its
// version and capabilities.

import { ipToUint32 } from '../core/ids.ts'
import type { MasterInfo } from '../core/v1/messages.ts'
import { VERSION } from '../core/version.ts'

export function masterInfo(id: string, hostname: string, ip: string, port: number): MasterInfo {
  return {
    id,
    ip: ipToUint32(ip),
    port,
    pid: `master@${ip}:${port}`,
    hostname,
    version: VERSION,
    address: { hostname, ip, port },
    capabilities: [{ type: 'AGENT_UPDATE' }],
  }
}

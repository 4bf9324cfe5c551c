// Machines on the command line for `meso agent maintenance`: HOST, IP, or HOST/IP (upstream MachineID: hostname
// and/or ip). A machine must be named as the schedule names it to be brought down or up. Used by agent-maintenance.ts.

import { isIP } from 'node:net'
import { CliError } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'

export interface MachineArg { hostname?: string; ip?: string }

export function machineArg(text: string): MachineArg {
  const t = text.trim()
  if (!t) throw new CliError('a machine needs a hostname or an IP', EXIT.USAGE)
  const slash = t.indexOf('/')
  if (slash >= 0) {
    const hostname = t.slice(0, slash)
    const ip = t.slice(slash + 1)
    if (!hostname || isIP(ip) !== 4) throw new CliError(`'${t}': expected HOST/IP with an IPv4 address`, EXIT.USAGE)
    return { hostname, ip }
  }
  return isIP(t) === 4 ? { ip: t } : { hostname: t }
}

export const machineLabel = (m: MachineArg) => [m.hostname, m.ip].filter(Boolean).join('/')


// linux/capabilities: the container's capability sets from LinuxInfo.effective_capabilities and
// bounding_capabilities (Mesos' CapabilityInfo names, e.g. NET_ADMIN). With the isolator on and nothing asked for,
// tasks get Docker's default set; without the isolator they keep everything the agent has (as in Mesos).

import { readFileSync } from 'node:fs'
import type { OciSpec } from '../containerizer/oci-spec.ts'
import { IsolationError, type IsolationContext, type Isolator } from './isolator.ts'

/** Linux capability names by number (capability.h). */
export const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
]

export const DEFAULT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'].map(c => `CAP_${c}`)

/** Capabilities in a /proc/<pid>/status mask (CapEff, CapBnd). */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`)
  return CAP_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n).map(n => `CAP_${n}`)
}

let agentCaps: string[] | undefined
/** The capabilities this agent process holds (its effective set): the most a container can be given. */
export function agentCapabilities(status = () => readFileSync('/proc/self/status', 'utf8')): string[] {
  if (agentCaps) return agentCaps
  const m = /^CapEff:\s*([0-9a-f]+)/m.exec(status())
  agentCaps = m ? capabilitiesFromMask(m[1]!) : DEFAULT_CAPABILITIES
  return agentCaps
}

export const hasCapability = (cap: string) => agentCapabilities().includes(cap)

function fromInfo(list: string[] | undefined, what: string): string[] | undefined {
  if (!list) return undefined
  return list.map(c => {
    const name = c.replace(/^CAP_/, '')
    if (!CAP_NAMES.includes(name)) throw new IsolationError(`Unknown capability '${c}' in ${what}`)
    return `CAP_${name}`
  })
}

export const linuxCapabilities: Isolator = {
  name: 'linux/capabilities',
  isolate(spec: OciSpec, ctx: IsolationContext) {
    const li = ctx.container?.linux_info
    const effective = fromInfo(li?.effective_capabilities?.capabilities ?? li?.capability_info?.capabilities, 'effective_capabilities')
    const bounding = fromInfo(li?.bounding_capabilities?.capabilities, 'bounding_capabilities') ?? effective ?? DEFAULT_CAPABILITIES
    const eff = effective ?? bounding
    const missing = eff.filter(c => !bounding.includes(c))
    if (missing.length) throw new IsolationError(`Effective capabilities ${missing.join(', ')} are not in the bounding set`)
    const notHeld = bounding.filter(c => !agentCapabilities().includes(c))
    if (notHeld.length) throw new IsolationError(`The agent does not hold ${notHeld.join(', ')} and cannot grant it`)
    spec.process.capabilities = { bounding, effective: eff, permitted: eff, inheritable: [], ambient: [] }
  },
}

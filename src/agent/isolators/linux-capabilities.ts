// linux/capabilities: the container's capability sets, with the rules of Mesos'
// src/slave/containerizer/mesos/isolators/linux/capabilities.cpp. A container that asks for nothing gets the
// secure default (task-security.ts: Docker's set without NET_RAW) or the agent's --effective_capabilities; one that
// asks (LinuxInfo.effective_capabilities, bounding_capabilities, or the deprecated capability_info) gets exactly
// that, within --bounding_capabilities and what the agent itself holds. The linux launcher always runs this isolator
// (index.ts), so no root task keeps the agent's capabilities unasked. docs/security-tasks.md.

import { readFileSync } from 'node:fs'
import type { AgentFlags } from '../flags.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'
import { IsolationError, type IsolationContext, type Isolator } from './isolator.ts'
import { CAP_NAMES, DEFAULT_CAPABILITIES, LinuxInfoError, linuxSecurityInfo, parseCapabilitiesFlag } from './task-security.ts'

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
  agentCaps = m ? capabilitiesFromMask(m[1]!) : [...DEFAULT_CAPABILITIES]
  return agentCaps
}

export const hasCapability = (cap: string) => agentCapabilities().includes(cap)

/** The default set this agent can give: the secure default, less what the agent itself lacks. */
export const defaultCapabilities = (held = agentCapabilities()) => DEFAULT_CAPABILITIES.filter(c => held.includes(c))

/** The agent's limits and defaults: --effective_capabilities and --bounding_capabilities. */
export interface CapabilityPolicy { effective?: string[]; bounding?: string[] }

export function capabilityPolicy(flags: Pick<AgentFlags, 'effective_capabilities' | 'bounding_capabilities'>): CapabilityPolicy {
  const policy = { effective: parseCapabilitiesFlag(flags.effective_capabilities, 'effective_capabilities'), bounding: parseCapabilitiesFlag(flags.bounding_capabilities, 'bounding_capabilities') }
  const outside = policy.effective && policy.bounding ? policy.effective.filter(c => !policy.bounding!.includes(c)) : []
  if (outside.length) throw new LinuxInfoError(`--effective_capabilities ${outside.join(', ')} are not in --bounding_capabilities`)
  return policy
}

export type OciCapabilities = NonNullable<OciSpec['process']['capabilities']>

/**
 * A container's capability sets (Mesos' LinuxCapabilitiesIsolatorProcess::prepare): effective from the task, else
 * the agent's --effective_capabilities; bounding from the task (within --bounding_capabilities), else the flag, else
 * the effective set; the effective set must lie within the bounding set. With nothing given anywhere: the default.
 * An explicit effective set is also ambient and inheritable, as Mesos' launch.cpp sets it, so a non-root task user
 * keeps what it asked for; the default is not, so non-root users run without capabilities.
 */
export function containerCapabilities(li: Pick<ReturnType<typeof linuxSecurityInfo>, 'effective' | 'bounding'>, policy: CapabilityPolicy, held: string[]): OciCapabilities {
  const effective = li.effective ?? policy.effective
  if (li.bounding && policy.bounding) {
    const outside = li.bounding.filter(c => !policy.bounding!.includes(c))
    if (outside.length) throw new IsolationError(`Bounding capabilities ${outside.join(', ')} are not allowed on this agent (--bounding_capabilities: ${policy.bounding.join(', ') || 'none'})`)
  }
  const bounding = li.bounding ?? policy.bounding ?? effective
  if (!bounding) {
    const caps = defaultCapabilities(held)
    return { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] }
  }
  const eff = effective ?? bounding
  const outside = eff.filter(c => !bounding.includes(c))
  if (outside.length) throw new IsolationError(`Effective capabilities ${outside.join(', ')} are not in the bounding set (${bounding.join(', ') || 'empty'})`)
  const notHeld = bounding.filter(c => !held.includes(c))
  if (notHeld.length) throw new IsolationError(`The agent does not hold ${notHeld.join(', ')} and cannot grant it`)
  const explicit = effective ? eff : []
  return { bounding, effective: eff, permitted: eff, inheritable: explicit, ambient: explicit }
}

export function createLinuxCapabilities(flags: Pick<AgentFlags, 'effective_capabilities' | 'bounding_capabilities'>): Isolator {
  const policy = capabilityPolicy(flags)
  return {
    name: 'linux/capabilities',
    isolate(spec: OciSpec, ctx: IsolationContext) {
      let li
      try { li = linuxSecurityInfo(ctx.container) } catch (err) { throw new IsolationError((err as Error).message) }
      spec.process.capabilities = containerCapabilities(li, policy, agentCapabilities())
    },
  }
}

/** With the agent's defaults (no capability flags). */
export const linuxCapabilities = createLinuxCapabilities({})

// What a container asks for beyond the secure defaults (docs/security-tasks.md): capabilities from
// ContainerInfo.LinuxInfo (effective_capabilities, bounding_capabilities, the deprecated capability_info) and a
// seccomp opt-out (LinuxInfo.seccomp: unconfined or a named profile), as Mesos' include/mesos/mesos.proto names them.
// Pure, with no agent state, so the master's authorizer can call `taskSecurityRequest` before a task reaches an
// agent; the agent's isolators (linux-capabilities.ts, linux-seccomp.ts) apply the same reading.

import type { ContainerInfo, TaskInfo } from '../../core/v1/messages.ts'
import type { IsolationContext, Isolator } from './isolator.ts'
import { IsolationError } from './isolator.ts'

/** Linux capability names by number (include/uapi/linux/capability.h), as CapabilityInfo.Capability spells them. */
export const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
] as const

/**
 * The capabilities a container gets when nothing asks for others: Docker's default set (moby oci/caps/defaults.go)
 * without CAP_NET_RAW, which Docker keeps only for ping and which lets a task forge packets on the host's network
 * (tasks share it unless they join a CNI network). docs/security-tasks.md.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
].map(c => `CAP_${c}`)

/** LinuxInfo.seccomp (mesos.proto SeccompInfo). */
export interface SeccompInfo { profile_name?: string; unconfined?: boolean }

/** The capability and seccomp parts of a container's LinuxInfo, validated and with CAP_ names. */
export interface LinuxSecurityInfo {
  /** effective_capabilities, or the deprecated capability_info. */
  effective?: string[]
  bounding?: string[]
  seccomp?: { unconfined: true } | { profileName: string }
}

export class LinuxInfoError extends Error {}

/**
 * `SYS_ADMIN`, `CAP_SYS_ADMIN` or the enum number 1021 (mesos.proto numbers CapabilityInfo.Capability 1000 + the
 * kernel's) → `CAP_SYS_ADMIN`; anything else throws.
 */
export function capabilityName(c: unknown, where: string): string {
  const name = typeof c === 'number' ? CAP_NAMES[c - 1000] : typeof c === 'string' ? c.replace(/^CAP_/, '') : undefined
  if (name === undefined || !(CAP_NAMES as readonly string[]).includes(name)) throw new LinuxInfoError(`Unknown capability '${String(c)}' in ${where}`)
  return `CAP_${name}`
}

/**
 * Mesos' --effective_capabilities / --bounding_capabilities: a CapabilityInfo as JSON (`{"capabilities":
 * ["NET_ADMIN"]}`) or, for the command line, a comma-separated list. Throws on unknown names.
 */
export function parseCapabilitiesFlag(value: string | undefined, flag: string): string[] | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  let names: unknown
  if (text.startsWith('{')) {
    try { names = (JSON.parse(text) as { capabilities?: unknown }).capabilities ?? [] } catch (err) { throw new LinuxInfoError(`--${flag}: not JSON: ${(err as Error).message}`) }
  } else {
    names = text.split(',').map(s => s.trim()).filter(Boolean)
  }
  if (!Array.isArray(names)) throw new LinuxInfoError(`--${flag}: 'capabilities' must be a list of names`)
  return [...new Set(names.map(n => capabilityName(n, `--${flag}`)))]
}

function capList(info: { capabilities?: unknown } | undefined, where: string): string[] | undefined {
  if (!info) return undefined
  const list = info.capabilities ?? []
  if (!Array.isArray(list)) throw new LinuxInfoError(`LinuxInfo.${where}.capabilities must be a list`)
  return [...new Set(list.map(c => capabilityName(c, where)))]
}

/**
 * Reads and validates the security part of a ContainerInfo. Both capability_info and effective_capabilities, and
 * unconfined with a profile name, are contradictions Mesos refuses too (isolators/linux/capabilities.cpp,
 * isolators/linux/seccomp.cpp); so is a profile name that is not a plain file name in --seccomp_config_dir.
 */
export function linuxSecurityInfo(container: ContainerInfo | undefined): LinuxSecurityInfo {
  const li = container?.linux_info
  if (!li) return {}
  if (li.capability_info && li.effective_capabilities) throw new LinuxInfoError("LinuxInfo: only one of 'capability_info' or 'effective_capabilities' is allowed")
  const out: LinuxSecurityInfo = {
    effective: capList(li.effective_capabilities ?? li.capability_info, li.effective_capabilities ? 'effective_capabilities' : 'capability_info'),
    bounding: capList(li.bounding_capabilities, 'bounding_capabilities'),
  }
  const s = li.seccomp
  if (s) {
    if (s.unconfined && s.profile_name !== undefined) throw new LinuxInfoError("LinuxInfo.seccomp: 'profile_name' given even though 'unconfined' is set")
    if (s.unconfined) out.seccomp = { unconfined: true }
    else if (s.profile_name !== undefined && typeof s.profile_name !== 'string') throw new LinuxInfoError('LinuxInfo.seccomp.profile_name must be a string')
    else if (s.profile_name === undefined) throw new LinuxInfoError("LinuxInfo.seccomp: neither 'unconfined' nor 'profile_name' is set")
    else if (!/^[A-Za-z0-9._-]+$/.test(s.profile_name) || s.profile_name.startsWith('.')) throw new LinuxInfoError(`LinuxInfo.seccomp: profile name '${s.profile_name}' must be a file name in the agent's --seccomp_config_dir`)
    else out.seccomp = { profileName: s.profile_name }
  }
  if (out.effective && out.bounding) {
    const outside = out.effective.filter(c => !out.bounding!.includes(c))
    if (outside.length) throw new LinuxInfoError(`LinuxInfo: effective capabilities ${outside.join(', ')} are not in the bounding set`)
  }
  return out
}

/** What a task asks for beyond the defaults: what the authorizer must allow (docs/security-tasks.md). */
export interface TaskSecurityRequest {
  /** Every capability the task names (effective and bounding), CAP_ names, sorted. */
  capabilities: string[]
  /** Those of `capabilities` that are not in DEFAULT_CAPABILITIES: privileges a default task does not have. */
  extraCapabilities: string[]
  /** Seccomp off (`unconfined`) or another profile than the agent's default (`profileName`). */
  seccomp?: { unconfined: true } | { profileName: string }
  /** Anything to authorize: extra capabilities, or a seccomp opt-out. */
  privileged: boolean
  /** The LinuxInfo is invalid (then the task must be refused, TASK_ERROR); the other fields are empty. */
  error?: string
}

/**
 * The security request of a task: its own ContainerInfo and, for a custom or default executor, the executor's.
 * For the master's authorizer (the ACLs that let a principal ask for capabilities or opt out of seccomp) and its
 * task validation (`error`).
 */
export function taskSecurityRequest(task: Pick<TaskInfo, 'container' | 'executor'>): TaskSecurityRequest {
  const caps = new Set<string>()
  let seccomp: TaskSecurityRequest['seccomp']
  try {
    for (const c of [task.container, task.executor?.container]) {
      const info = linuxSecurityInfo(c)
      for (const cap of [...info.effective ?? [], ...info.bounding ?? []]) caps.add(cap)
      // An unconfined container outweighs a named profile when task and executor differ.
      if (info.seccomp && !(seccomp && 'unconfined' in seccomp)) seccomp = info.seccomp
    }
  } catch (err) {
    if (!(err instanceof LinuxInfoError)) throw err
    return { capabilities: [], extraCapabilities: [], privileged: false, error: err.message }
  }
  const capabilities = [...caps].sort()
  const extraCapabilities = capabilities.filter(c => !DEFAULT_CAPABILITIES.includes(c))
  return { capabilities, extraCapabilities, ...(seccomp ? { seccomp } : {}), privileged: extraCapabilities.length > 0 || !!seccomp }
}

/**
 * Stands in for isolators this agent cannot run, so that a container asking for what they would do fails at launch
 * (TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED) instead of running without it: the posix launcher has no OCI spec
 * for capabilities or seccomp, and an agent without linux/seccomp in --isolation cannot honour LinuxInfo.seccomp.
 */
export function unsupportedLinuxSecurity(what: { capabilities?: string; seccomp?: string }): Isolator {
  return {
    name: 'linux-info-check',
    posix: true,
    prepare(ctx: IsolationContext) {
      const li = ctx.container?.linux_info
      if (!li) return
      if (what.capabilities && (li.capability_info || li.effective_capabilities || li.bounding_capabilities)) {
        throw new IsolationError(`LinuxInfo capabilities cannot be applied: ${what.capabilities}`)
      }
      if (what.seccomp && li.seccomp) throw new IsolationError(`LinuxInfo.seccomp cannot be applied: ${what.seccomp}`)
    },
  }
}

// linux/seccomp: a seccomp filter for every container, as Mesos 1.8's
// src/slave/containerizer/mesos/isolators/linux/seccomp.cpp: the agent's default profile (--seccomp_profile_name in
// --seccomp_config_dir, else the built-in one: Docker's default, seccomp/default.json) unless the container's
// LinuxInfo.seccomp opts out (`unconfined`) or names another profile in --seccomp_config_dir. Runs after
// linux/capabilities (index.ts), whose bounding set decides which of the profile's capability rules apply. crun
// installs the filter; it gets it precompiled (seccomp/bpf.ts), so a launch costs no more than before.
// docs/security-tasks.md.

import { readFileSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import { logger } from '../../core/log.ts'
import type { OciSpec } from '../containerizer/oci-spec.ts'
import type { AgentFlags } from '../flags.ts'
import { IsolationError, type IsolationContext, type Isolator } from './isolator.ts'
import { defaultCapabilities } from './linux-capabilities.ts'
import { BPF_ANNOTATION, bpfAnnotation } from './seccomp/bpf.ts'
import { DEFAULT_PROFILE, ociSeccomp, parseProfile, type Host, type OciSeccomp, type SeccompProfile } from './seccomp/profile.ts'
import { linuxSecurityInfo } from './task-security.ts'

const log = logger('linux/seccomp')

export type SeccompFlags = Pick<AgentFlags, 'seccomp_config_dir' | 'seccomp_profile_name'>

/** What the isolator reads from the host (its architecture and kernel, profile files, /proc/self/status) and how it precompiles filters. */
export interface SeccompHost extends Host {
  read(path: string): string
  status(): string
  /** crun's precompiled-filter annotation for a filter, or undefined to let the runtime compile it. */
  precompile(s: OciSeccomp): string | undefined
}

export const realHost = (): SeccompHost => ({
  arch: process.arch, kernel: release(), read: p => readFileSync(p, 'utf8'), status: () => readFileSync('/proc/self/status', 'utf8'),
  precompile: s => bpfAnnotation(s, message => log.warn(message)),
})

/** Reads and validates a profile file; errors name the file. */
export function readProfile(dir: string, name: string, read: SeccompHost['read']): SeccompProfile {
  const path = join(dir, name)
  let text: string
  try { text = read(path) } catch (err) { throw new Error(`Failed to read seccomp profile '${path}': ${(err as Error).message}`) }
  try { return parseProfile(JSON.parse(text)) } catch (err) { throw new Error(`Failed to parse seccomp profile '${path}': ${(err as Error).message}`) }
}

/** The agent's default profile: --seccomp_profile_name (needs --seccomp_config_dir), else the built-in one. */
export function agentDefaultProfile(flags: SeccompFlags, read: SeccompHost['read']): SeccompProfile {
  if (flags.seccomp_profile_name === undefined) return DEFAULT_PROFILE
  if (flags.seccomp_config_dir === undefined) throw new Error('--seccomp_profile_name needs --seccomp_config_dir (the directory the profile is in)')
  return readProfile(flags.seccomp_config_dir, flags.seccomp_profile_name, read)
}

/** The isolator; throws at agent start for a kernel without seccomp or a bad default profile. */
export function createLinuxSeccomp(flags: SeccompFlags, host: SeccompHost = realHost()): Isolator {
  // Mesos checks with prctl(PR_SET_SECCOMP) that the kernel filters; /proc/<pid>/status lists Seccomp: exactly then.
  if (!/^Seccomp:/m.test(host.status())) throw new Error('linux/seccomp: this kernel has no seccomp support; remove linux/seccomp from --isolation')
  const agentDefault = agentDefaultProfile(flags, host.read)
  // An architecture the profiles do not know fails here rather than at every launch; the filter of a default
  // container is compiled now, so that not even the first launch waits for it.
  host.precompile(ociSeccomp(agentDefault, defaultCapabilities(), host))
  return {
    name: 'linux/seccomp',
    isolate(spec: OciSpec, ctx: IsolationContext) {
      let asked
      try { asked = linuxSecurityInfo(ctx.container).seccomp } catch (err) { throw new IsolationError((err as Error).message) }
      if (spec.annotations) delete spec.annotations[BPF_ANNOTATION]
      if (asked && 'unconfined' in asked) {
        delete spec.linux.seccomp
        return
      }
      let profile = agentDefault
      if (asked) {
        if (flags.seccomp_config_dir === undefined) throw new IsolationError(`Seccomp profile '${asked.profileName}' was asked for, but this agent has no --seccomp_config_dir`)
        try { profile = readProfile(flags.seccomp_config_dir, asked.profileName, host.read) } catch (err) { throw new IsolationError((err as Error).message) }
      }
      const seccomp = ociSeccomp(profile, spec.process.capabilities?.bounding ?? [], host)
      spec.linux.seccomp = seccomp
      const bpf = host.precompile(seccomp)
      if (bpf) spec.annotations = { ...spec.annotations, [BPF_ANNOTATION]: bpf }
    },
  }
}

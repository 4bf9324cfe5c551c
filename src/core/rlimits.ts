// ContainerInfo.rlimit_info rules shared by the master (invalid input → TASK_ERROR) and the agent's posix/rlimits
// isolator. Mesos semantics: an RLimit with neither soft nor hard means "unlimited"; otherwise both must be set and
// soft ≤ hard; each type at most once.

import type { RLimit } from './v1/messages.ts'

/** Mesos' RLMT_* names → the kernel's RLIMIT_* names (as OCI runtimes spell them). */
export const RLIMIT_NAMES: Record<string, string> = {
  RLMT_AS: 'RLIMIT_AS', RLMT_CORE: 'RLIMIT_CORE', RLMT_CPU: 'RLIMIT_CPU', RLMT_DATA: 'RLIMIT_DATA', RLMT_FSIZE: 'RLIMIT_FSIZE',
  RLMT_LOCKS: 'RLIMIT_LOCKS', RLMT_MEMLOCK: 'RLIMIT_MEMLOCK', RLMT_MSGQUEUE: 'RLIMIT_MSGQUEUE', RLMT_NICE: 'RLIMIT_NICE',
  RLMT_NOFILE: 'RLIMIT_NOFILE', RLMT_NPROC: 'RLIMIT_NPROC', RLMT_RSS: 'RLIMIT_RSS', RLMT_RTPRIO: 'RLIMIT_RTPRIO',
  RLMT_RTTIME: 'RLIMIT_RTTIME', RLMT_SIGPENDING: 'RLIMIT_SIGPENDING', RLMT_STACK: 'RLIMIT_STACK',
}

/** "unlimited" for an OCI rlimit: 2^64-1, which JavaScript numbers cannot hold (written as a literal, see oci-spec.ts). */
export const RLIM_INFINITY = 'unlimited' as const

export function rlimitsError(rlimits: RLimit[] | undefined): string | undefined {
  const seen = new Set<string>()
  for (const r of rlimits ?? []) {
    if (!r.type || r.type === 'UNKNOWN' || !RLIMIT_NAMES[r.type]) return `Unsupported rlimit type '${r.type ?? 'UNKNOWN'}'`
    if (seen.has(r.type)) return `Duplicate rlimit type ${r.type}`
    seen.add(r.type)
    const hasSoft = r.soft !== undefined
    const hasHard = r.hard !== undefined
    if (hasSoft !== hasHard) return `Rlimit ${r.type} must have both 'soft' and 'hard' set, or neither (unlimited)`
    if (hasSoft && r.soft! > r.hard!) return `Rlimit ${r.type} has a soft limit (${r.soft}) greater than its hard limit (${r.hard})`
  }
  return undefined
}

/**
 * Parses the CLI form `NOFILE=1024:4096`, `CORE=0`, `STACK=unlimited` (also `RLIMIT_NOFILE`, `RLMT_NOFILE`, lower case).
 * One value sets soft and hard to it.
 */
export function parseRlimitArg(arg: string): RLimit {
  const m = /^([A-Za-z_]+)=([^:]+)(?::(.+))?$/.exec(arg.trim())
  if (!m) throw new Error(`bad --rlimit '${arg}': expected NAME=SOFT[:HARD], e.g. NOFILE=1024:4096`)
  const name = m[1]!.toUpperCase().replace(/^RLIMIT_/, '').replace(/^RLMT_/, '')
  const type = `RLMT_${name}`
  if (!RLIMIT_NAMES[type]) throw new Error(`unknown rlimit '${m[1]}' (known: ${Object.keys(RLIMIT_NAMES).map(k => k.slice(5)).join(', ')})`)
  const num = (v: string) => {
    if (v === 'unlimited' || v === 'infinity') return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`bad --rlimit value '${v}' for ${name}: expected a non-negative integer or 'unlimited'`)
    return n
  }
  const soft = num(m[2]!)
  const hard = m[3] === undefined ? soft : num(m[3])
  if ((soft === undefined) !== (hard === undefined)) {
    throw new Error(`--rlimit ${name}: Mesos cannot express a finite soft limit with an unlimited hard limit (or the reverse); use ${name}=unlimited or two numbers`)
  }
  const r: RLimit = { type }
  if (soft !== undefined) { r.soft = soft; r.hard = hard }
  return r
}

// posix/rlimits: ContainerInfo.rlimit_info as the process' rlimits. Without CAP_SYS_RESOURCE the agent cannot grant
// more than its own hard limit; such requests fail the launch with a clear message rather than silently shrinking.

import { readFileSync } from 'node:fs'
import { RLIMIT_NAMES, rlimitsError } from '../../core/rlimits.ts'
import { RLIM_INFINITY_MARKER, type OciSpec } from '../containerizer/oci-spec.ts'
import { IsolationError, type IsolationContext, type Isolator } from './isolator.ts'
import { hasCapability } from './linux-capabilities.ts'

/** The agent's own hard limits, from /proc/self/limits ("unlimited" → Infinity). */
export function agentHardLimits(text = readFileSync('/proc/self/limits', 'utf8')): Record<string, number> {
  const byLabel: Record<string, string> = {
    'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA', 'Max stack size': 'RLIMIT_STACK',
    'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS', 'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE',
    'Max locked memory': 'RLIMIT_MEMLOCK', 'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
    'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO', 'Max realtime timeout': 'RLIMIT_RTTIME',
  }
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const label = Object.keys(byLabel).find(l => line.startsWith(l))
    if (!label) continue
    const hard = line.slice(label.length).trim().split(/\s+/)[1]!
    out[byLabel[label]!] = hard === 'unlimited' ? Infinity : Number(hard)
  }
  return out
}

export const posixRlimits: Isolator = {
  name: 'posix/rlimits',
  isolate(spec: OciSpec, ctx: IsolationContext) {
    const rlimits = ctx.container?.rlimit_info?.rlimits
    if (!rlimits?.length) return
    const err = rlimitsError(rlimits)
    if (err) throw new IsolationError(err)
    const canRaise = hasCapability('CAP_SYS_RESOURCE')
    const hard = canRaise ? {} : agentHardLimits()
    spec.process.rlimits = rlimits.map(r => {
      const type = RLIMIT_NAMES[r.type!]!
      const max = (hard as Record<string, number>)[type] ?? Infinity
      const want = r.hard === undefined ? Infinity : r.hard
      if (want > max) {
        throw new IsolationError(`${type} of ${r.hard === undefined ? 'unlimited' : r.hard} exceeds the agent's own hard limit of ${max}, and the agent lacks CAP_SYS_RESOURCE to raise it`)
      }
      return r.soft === undefined
        ? { type, soft: RLIM_INFINITY_MARKER, hard: RLIM_INFINITY_MARKER }
        : { type, soft: r.soft, hard: r.hard! }
    })
  },
}

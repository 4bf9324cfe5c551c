// Seccomp profiles in Docker's format (what Mesos' linux/seccomp reads from --seccomp_config_dir, see its
// src/linux/seccomp/seccomp_parser.cpp) turned into the OCI spec's `linux.seccomp` for one container: rules for
// other architectures, for capabilities the container lacks (`includes.caps`, `excludes.caps`, matched against
// its bounding set as Docker does) or for newer kernels (`minKernel`) are left out, and crun compiles the rest into
// the filter. Pure: the parsed profile, the host's architecture and kernel release come in as values.
// docs/security-tasks.md.

import { CAP_NAMES } from '../task-security.ts'
import DEFAULT_PROFILE_JSON from './default.json' with { type: 'json' }

const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']
/** Docker's names in `arches` (Go's GOARCH spelling) for Node's process.arch. */
const DOCKER_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: 'x86', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64', mips: 'mips', mipsel: 'mipsel', loong64: 'loong64' }
/** libseccomp's architecture for Node's process.arch. */
const SCMP_ARCH: Record<string, string> = { x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', ia32: 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM', s390x: 'SCMP_ARCH_S390X', ppc64: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64', mips: 'SCMP_ARCH_MIPS', mipsel: 'SCMP_ARCH_MIPSEL', loong64: 'SCMP_ARCH_LOONGARCH64' }

export interface SeccompArg { index: number; value: number; valueTwo?: number; op: string }
interface Filter { caps?: string[]; arches?: string[]; minKernel?: string }
export interface ProfileRule { names: string[]; action: string; errnoRet?: number; args?: SeccompArg[]; includes?: Filter; excludes?: Filter }

/** A Docker-format profile, validated. */
export interface SeccompProfile {
  defaultAction: string
  defaultErrnoRet?: number
  archMap?: { architecture: string; subArchitectures: string[] }[]
  architectures?: string[]
  syscalls: ProfileRule[]
}

/** The OCI runtime spec's `linux.seccomp` (config-linux.md). */
export interface OciSeccomp {
  defaultAction: string
  defaultErrnoRet?: number
  architectures: string[]
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: SeccompArg[] }[]
}

export class SeccompProfileError extends Error {}

type Json = Record<string, unknown>
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const strings = (v: unknown, what: string): string[] => {
  if (!Array.isArray(v) || v.some(s => typeof s !== 'string')) throw new SeccompProfileError(`${what} must be a list of strings`)
  return v as string[]
}
const optStrings = (v: unknown, what: string) => (v === undefined || v === null ? undefined : strings(v, what))
const uint = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new SeccompProfileError(`${what} must be a non-negative integer`)
  return v
}
const action = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || !ACTIONS.includes(v)) throw new SeccompProfileError(`${what}: unknown action ${JSON.stringify(v)} (known: ${ACTIONS.join(', ')})`)
  return v
}

function filter(v: unknown, what: string): Filter | undefined {
  if (v === undefined || v === null) return undefined
  if (!isObj(v)) throw new SeccompProfileError(`${what} must be an object`)
  const f: Filter = {}
  const caps = optStrings(v.caps, `${what}.caps`)
  const unknown = caps?.find(c => !c.startsWith('CAP_') || !(CAP_NAMES as readonly string[]).includes(c.slice(4)))
  if (unknown) throw new SeccompProfileError(`${what}.caps: unknown capability '${unknown}'`)
  if (caps) f.caps = caps
  const arches = optStrings(v.arches, `${what}.arches`)
  if (arches) f.arches = arches
  if (v.minKernel !== undefined) {
    if (typeof v.minKernel !== 'string' || !/^\d+\.\d+/.test(v.minKernel)) throw new SeccompProfileError(`${what}.minKernel must be a kernel version such as "4.8"`)
    f.minKernel = v.minKernel
  }
  return f
}

/** Validates a Docker-format profile (the fields Docker's and Mesos' parsers read); throws SeccompProfileError. */
export function parseProfile(data: unknown): SeccompProfile {
  if (!isObj(data)) throw new SeccompProfileError('a profile must be a JSON object')
  const p: SeccompProfile = { defaultAction: action(data.defaultAction, 'defaultAction'), syscalls: [] }
  if (data.defaultErrnoRet !== undefined) p.defaultErrnoRet = uint(data.defaultErrnoRet, 'defaultErrnoRet')
  if (data.archMap !== undefined && data.archMap !== null) {
    if (!Array.isArray(data.archMap)) throw new SeccompProfileError('archMap must be a list')
    p.archMap = data.archMap.map((a, i) => {
      if (!isObj(a) || typeof a.architecture !== 'string') throw new SeccompProfileError(`archMap[${i}] needs an 'architecture'`)
      return { architecture: a.architecture, subArchitectures: optStrings(a.subArchitectures, `archMap[${i}].subArchitectures`) ?? [] }
    })
  }
  const arches = optStrings(data.architectures, 'architectures')
  if (arches) p.architectures = arches
  if (!Array.isArray(data.syscalls)) throw new SeccompProfileError("'syscalls' must be a list")
  data.syscalls.forEach((s, i) => {
    const what = `syscalls[${i}]`
    if (!isObj(s)) throw new SeccompProfileError(`${what} must be an object`)
    // Docker's older profiles name one syscall in `name`.
    const names = s.names !== undefined ? strings(s.names, `${what}.names`) : typeof s.name === 'string' ? [s.name] : []
    if (!names.length) throw new SeccompProfileError(`${what}: syscall 'names' list is empty`)
    const rule: ProfileRule = { names, action: action(s.action, `${what}.action`) }
    if (s.errnoRet !== undefined) rule.errnoRet = uint(s.errnoRet, `${what}.errnoRet`)
    if (Array.isArray(s.args) && s.args.length) {
      rule.args = s.args.map((a, j) => {
        if (!isObj(a) || typeof a.op !== 'string' || !OPS.includes(a.op)) throw new SeccompProfileError(`${what}.args[${j}]: unknown op ${JSON.stringify(isObj(a) ? a.op : a)}`)
        const arg: SeccompArg = { index: uint(a.index, `${what}.args[${j}].index`), value: uint(a.value, `${what}.args[${j}].value`), op: a.op }
        if (a.valueTwo !== undefined && a.valueTwo !== 0) arg.valueTwo = uint(a.valueTwo, `${what}.args[${j}].valueTwo`)
        return arg
      })
    } else if (s.args !== undefined && s.args !== null && !Array.isArray(s.args)) {
      throw new SeccompProfileError(`${what}.args must be a list`)
    }
    const includes = filter(s.includes, `${what}.includes`)
    const excludes = filter(s.excludes, `${what}.excludes`)
    if (includes) rule.includes = includes
    if (excludes) rule.excludes = excludes
    p.syscalls.push(rule)
  })
  return p
}

/** The built-in default (moby/profiles seccomp v0.2.3 less one rule, see docs/security-tasks.md), embedded in the binary. */
export const DEFAULT_PROFILE: SeccompProfile = parseProfile(DEFAULT_PROFILE_JSON)

/** Kernel version `a` ("6.18.44-fc") at least `b` ("4.8"). */
export function kernelAtLeast(a: string, b: string): boolean {
  const va = a.split(/[.-]/).map(n => parseInt(n, 10))
  const vb = b.split(/[.-]/).map(n => parseInt(n, 10))
  for (let i = 0; i < Math.max(va.length, vb.length, 2); i++) {
    const x = Number.isFinite(va[i]) ? va[i]! : 0
    const y = Number.isFinite(vb[i]) ? vb[i]! : 0
    if (x !== y) return x > y
  }
  return true
}

export interface Host { arch: string; kernel: string }

/**
 * The OCI seccomp of a container with bounding capabilities `caps` on `host`, as Docker's
 * profiles/seccomp/seccomp_linux.go (setupSeccomp) builds it: a rule stays when every `includes` condition holds
 * (all its caps held, the host's architecture listed, the kernel new enough) and no `excludes` one does.
 */
export function ociSeccomp(profile: SeccompProfile, caps: readonly string[], host: Host): OciSeccomp {
  const dockerArch = DOCKER_ARCH[host.arch]
  const native = SCMP_ARCH[host.arch]
  if (!dockerArch || !native) throw new SeccompProfileError(`seccomp profiles are not supported on architecture '${host.arch}'`)
  let architectures = profile.architectures ?? []
  for (const a of profile.archMap ?? []) if (a.architecture === native) architectures = [a.architecture, ...a.subArchitectures]
  const syscalls: OciSeccomp['syscalls'] = []
  for (const r of profile.syscalls) {
    const inc = r.includes
    if (inc?.caps && !inc.caps.every(c => caps.includes(c))) continue
    if (inc?.arches && !inc.arches.includes(dockerArch)) continue
    if (inc?.minKernel && !kernelAtLeast(host.kernel, inc.minKernel)) continue
    const exc = r.excludes
    if (exc?.caps?.some(c => caps.includes(c))) continue
    if (exc?.arches?.includes(dockerArch)) continue
    if (exc?.minKernel && kernelAtLeast(host.kernel, exc.minKernel)) continue
    syscalls.push({ names: r.names, action: r.action, ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}), ...(r.args ? { args: r.args } : {}) })
  }
  // crun refuses an errno for a default action that is not ERRNO (or TRACE).
  const withErrno = profile.defaultErrnoRet !== undefined && (profile.defaultAction === 'SCMP_ACT_ERRNO' || profile.defaultAction === 'SCMP_ACT_TRACE')
  return { defaultAction: profile.defaultAction, ...(withErrno ? { defaultErrnoRet: profile.defaultErrnoRet } : {}), architectures, syscalls }
}

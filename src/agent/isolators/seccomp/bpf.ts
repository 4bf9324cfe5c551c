// The BPF program crun would compile from a container's `linux.seccomp`, compiled here once per distinct filter
// with the same library (libseccomp, through bun:ffi) and the same steps as crun's src/libcrun/seccomp.c
// (libcrun_generate_seccomp). linux/seccomp hands it to crun in its `run.oci.seccomp_bpf_data` annotation, which
// crun uses instead of compiling the section itself: compiling Docker's profile for x86-64 with its x86 and x32
// sub-architectures costs crun ~15 ms of CPU on every launch, the annotation ~1 ms (docs/security-tasks.md).
// The spec keeps its seccomp section, so runc (which ignores the annotation) compiles the same filter. Without
// libseccomp, or on any failure, there is no annotation and crun compiles as before.

import { dlopen, ptr } from 'bun:ffi'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OciSeccomp } from './profile.ts'

/** crun's annotation for a precompiled filter (crun(1), "run.oci.seccomp_bpf_data"). */
export const BPF_ANNOTATION = 'run.oci.seccomp_bpf_data'

/** libseccomp's action values (seccomp.h); ERRNO and TRACE carry their 16-bit data. */
function actionValue(action: string, data: number): number {
  switch (action) {
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return 0
    case 'SCMP_ACT_KILL_PROCESS': return 0x80000000
    case 'SCMP_ACT_TRAP': return 0x00030000
    case 'SCMP_ACT_ERRNO': return (0x00050000 | (data & 0xffff)) >>> 0
    case 'SCMP_ACT_TRACE': return (0x7ff00000 | (data & 0xffff)) >>> 0
    case 'SCMP_ACT_LOG': return 0x7ffc0000
    case 'SCMP_ACT_ALLOW': return 0x7fff0000
    default: throw new Error(`no libseccomp value for action ${action}`)
  }
}
const OPS: Record<string, number> = { SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7 }
const EPERM = 1
/** sizeof(struct scmp_arg_cmp): arg (u32), op (enum), datum_a, datum_b (u64). */
const ARG_CMP = 24

function load() {
  return dlopen('libseccomp.so.2', {
    seccomp_init: { args: ['u32'], returns: 'ptr' },
    seccomp_release: { args: ['ptr'], returns: 'void' },
    seccomp_arch_resolve_name: { args: ['ptr'], returns: 'u32' },
    seccomp_arch_add: { args: ['ptr', 'u32'], returns: 'i32' },
    seccomp_syscall_resolve_name: { args: ['ptr'], returns: 'i32' },
    seccomp_rule_add_array: { args: ['ptr', 'u32', 'i32', 'u32', 'ptr'], returns: 'i32' },
    seccomp_export_bpf: { args: ['ptr', 'i32'], returns: 'i32' },
  }).symbols
}
let lib: ReturnType<typeof load> | null | undefined
const cstr = (s: string) => ptr(Buffer.from(`${s}\0`))

/** The raw BPF program for `s`; throws when libseccomp is missing or refuses the filter. */
export function compileBpf(s: OciSeccomp): Buffer {
  lib ??= load()
  const l = lib
  const defaultAction = actionValue(s.defaultAction, s.defaultErrnoRet ?? EPERM)
  const ctx = l.seccomp_init(defaultAction)
  if (!ctx) throw new Error('seccomp_init failed')
  const dir = mkdtempSync(join(tmpdir(), 'meso-bpf-'))
  try {
    for (const arch of s.architectures) {
      const token = l.seccomp_arch_resolve_name(cstr(arch.replace(/^SCMP_ARCH_/, '').toLowerCase()))
      if (token === 0) throw new Error(`seccomp: unknown architecture ${arch}`)
      const rc = l.seccomp_arch_add(ctx, token)
      if (rc < 0 && rc !== -17 /* EEXIST: the native one */) throw new Error(`seccomp_arch_add ${arch}: ${rc}`)
    }
    for (const r of s.syscalls) {
      const action = actionValue(r.action, r.errnoRet ?? EPERM)
      // crun skips rules that repeat the default action.
      if (action === defaultAction) continue
      const args = r.args ?? []
      const repeated = args.some((a, i) => args.findIndex(b => b.index === a.index) !== i)
      const cmp = (list: typeof args) => {
        const buf = Buffer.alloc(Math.max(1, list.length) * ARG_CMP)
        list.forEach((a, i) => {
          buf.writeUInt32LE(a.index, i * ARG_CMP)
          buf.writeUInt32LE(OPS[a.op]!, i * ARG_CMP + 4)
          buf.writeBigUInt64LE(BigInt(a.value), i * ARG_CMP + 8)
          buf.writeBigUInt64LE(BigInt(a.valueTwo ?? 0), i * ARG_CMP + 16)
        })
        return buf
      }
      for (const name of r.names) {
        const nr = l.seccomp_syscall_resolve_name(cstr(name))
        // crun warns and skips syscalls this libseccomp does not know.
        if (nr === -1) continue
        // A syscall with two conditions on the same argument gets one rule per condition, as crun adds them.
        const groups = repeated ? args.map(a => [a]) : [args]
        for (const g of groups) {
          const rc = l.seccomp_rule_add_array(ctx, action, nr, g.length, g.length ? ptr(cmp(g)) : null)
          if (rc < 0) throw new Error(`seccomp_rule_add ${name}: ${rc}`)
        }
      }
    }
    const file = join(dir, 'filter.bpf')
    const fd = openSync(file, 'w+')
    try {
      const rc = l.seccomp_export_bpf(ctx, fd)
      if (rc < 0) throw new Error(`seccomp_export_bpf: ${rc}`)
    } finally {
      closeSync(fd)
    }
    return readFileSync(file)
  } finally {
    l.seccomp_release(ctx)
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Filters differ only by the bounding sets and profiles tasks ask for; a bound keeps odd requests from piling up. */
const CACHE_SIZE = 32
const cache = new Map<string, string | undefined>()
let warned = false

/** The filter as crun's annotation value (base64), compiled once per distinct filter; undefined if it cannot be. */
export function bpfAnnotation(s: OciSeccomp, onError: (message: string) => void = () => {}): string | undefined {
  if (lib === null) return undefined
  const key = JSON.stringify(s)
  if (cache.has(key)) return cache.get(key)
  let value: string | undefined
  try {
    value = compileBpf(s).toString('base64')
  } catch (err) {
    if (!lib) lib = null
    if (!warned) onError(`precompiling seccomp filters failed, crun compiles them at each launch: ${(err as Error).message}`)
    warned = true
  }
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!)
  cache.set(key, value)
  return value
}

// libc through bun:ffi for the calls node:fs lacks: the raw syscall(2) entry (openat2 has no glibc wrapper before
// 2.36) and errno after a failed call, named as node names it (ENOENT, ELOOP, …). Loaded on first use, so a host
// without glibc only loses what needs it (callers fall back; docs/security-files.md).

import { dlopen, ptr, read } from 'bun:ffi'
import { constants } from 'node:os'

let lib: ReturnType<typeof load> | undefined
function load() {
  return dlopen('libc.so.6', {
    // long syscall(long number, ...): four integer/pointer arguments are passed in registers on x86_64 and arm64.
    syscall: { args: ['i64', 'i64', 'ptr', 'ptr', 'u64'], returns: 'i64' },
    __errno_location: { args: [], returns: 'ptr' },
  }).symbols
}

/** The libc symbols, or undefined where libc.so.6 cannot be loaded (musl, no FFI). */
export function libc(): ReturnType<typeof load> | undefined {
  if (lib) return lib
  try { lib = load() } catch { return undefined }
  return lib
}

/** errno of the last failed libc call on this thread; read it right after the call. */
export function lastErrno(): number {
  const p = libc()?.__errno_location()
  return p ? read.i32(p, 0) : 0
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([k, v]) => [v as number, k]))

export function errnoName(errno: number): string { return ERRNO_NAMES.get(errno) ?? `errno ${errno}` }

export class SyscallError extends Error {
  constructor(readonly call: string, readonly errno: number, detail: string) {
    super(`${call}(${detail}) failed: ${errnoName(errno)}`)
  }
  get code(): string | undefined { return ERRNO_NAMES.get(this.errno) }
}

/** A NUL-terminated copy of `s` for a `const char *` argument (the caller keeps the buffer alive during the call). */
export const cstr = (s: string) => Buffer.from(`${s}\0`)

export { ptr }

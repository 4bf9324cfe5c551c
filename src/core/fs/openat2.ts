// openat2(2) (Linux 5.6+) through syscall(2): opens a path relative to a directory fd with resolution rules the
// kernel enforces atomically for every component — the files API uses RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS so a
// task cannot swap a symlink into the path between a check and the open (docs/security-files.md). Whether the
// kernel (or a seccomp filter around the agent) allows it is probed once; callers fall back to a component walk.

import { closeSync } from 'node:fs'
import { constants } from 'node:os'
import { cstr, lastErrno, libc, ptr } from './libc.ts'

/** SYS_openat2: 437 in the generic syscall table, which both x86_64 and arm64 use for it. */
const SYS_OPENAT2: Partial<Record<NodeJS.Architecture, bigint>> = { x64: 437n, arm64: 437n }

/** Flags node:fs does not export; asm-generic values, the same on x86_64 and arm64. */
export const O_PATH = 0o10000000
export const O_CLOEXEC = 0o2000000
const AT_FDCWD = -100

export const RESOLVE_NO_MAGICLINKS = 0x02
export const RESOLVE_NO_SYMLINKS = 0x04
export const RESOLVE_BENEATH = 0x08

/** The fd, or -errno. */
export function openat2(dirFd: number, path: string, flags: number, resolve: number): number {
  const nr = SYS_OPENAT2[process.arch]
  const c = libc()
  if (nr === undefined || !c) return -constants.errno.ENOSYS
  // struct open_how { __u64 flags; __u64 mode; __u64 resolve; }
  const how = new BigUint64Array([BigInt(flags), 0n, BigInt(resolve)])
  const name = cstr(path)
  const fd = Number(c.syscall(nr, BigInt(dirFd), ptr(name), ptr(how), BigInt(how.byteLength)))
  return fd >= 0 ? fd : -(lastErrno() || constants.errno.EIO)
}

let supported: boolean | undefined

/** Whether openat2 works here: an old kernel says ENOSYS, a seccomp filter EPERM or ENOSYS. */
export function openat2Supported(): boolean {
  if (supported !== undefined) return supported
  const fd = openat2(AT_FDCWD, '/', O_PATH | O_CLOEXEC, RESOLVE_NO_SYMLINKS)
  if (fd >= 0) closeSync(fd)
  supported = fd >= 0
  return supported
}


// The libc calls image provisioning needs and node:fs lacks, through bun:ffi: mknod (overlay whiteouts are 0/0
// character devices), lsetxattr (opaque directories), mount and umount2 (overlay and bind roots). Spawning
// mknod/setfattr/mount(8) instead costs 5–10 ms per call; these take microseconds. errno and its name come from
// src/core/fs/libc.ts.

import { dlopen, ptr } from 'bun:ffi'
import { constants } from 'node:os'
import { cstr, lastErrno as errno, SyscallError } from '../../core/fs/libc.ts'

const S_IFCHR = 0o020000
export const MS_RDONLY = 1
export const MS_REMOUNT = 32
export const MS_BIND = 4096
export const MS_REC = 16384
const MNT_DETACH = 2

let lib: ReturnType<typeof load> | undefined
function load() {
  return dlopen('libc.so.6', {
    mknod: { args: ['ptr', 'u32', 'u64'], returns: 'i32' },
    lsetxattr: { args: ['ptr', 'ptr', 'ptr', 'u64', 'i32'], returns: 'i32' },
    lgetxattr: { args: ['ptr', 'ptr', 'ptr', 'u64'], returns: 'i64' },
    mount: { args: ['ptr', 'ptr', 'ptr', 'u64', 'ptr'], returns: 'i32' },
    umount2: { args: ['ptr', 'i32'], returns: 'i32' },
  }).symbols
}
const libc = () => (lib ??= load())

/** Creates the 0/0 character device overlayfs reads as "deleted in a lower layer". */
export function mknodWhiteout(path: string) {
  if (libc().mknod(ptr(cstr(path)), S_IFCHR | 0o000, 0n) !== 0) throw new SyscallError('mknod', errno(), path)
}

export function setXattr(path: string, name: string, value: string) {
  const v = Buffer.from(value)
  if (libc().lsetxattr(ptr(cstr(path)), ptr(cstr(name)), ptr(v), BigInt(v.length), 0) !== 0) throw new SyscallError('lsetxattr', errno(), `${path}, ${name}`)
}

/** The xattr's value, or undefined when it is not set. */
export function getXattr(path: string, name: string): string | undefined {
  const buf = Buffer.alloc(256)
  const n = Number(libc().lgetxattr(ptr(cstr(path)), ptr(cstr(name)), ptr(buf), 256n))
  return n < 0 ? undefined : buf.subarray(0, n).toString()
}

export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null) {
  const fs = fstype === null ? null : ptr(cstr(fstype))
  const d = data === null ? null : ptr(cstr(data))
  if (libc().mount(ptr(cstr(source)), ptr(cstr(target)), fs, BigInt(flags), d) !== 0) throw new SyscallError('mount', errno(), `${fstype ?? 'bind'} on ${target}`)
}

/** Lazy unmount; a target that is not mounted is fine (EINVAL / ENOENT). */
export function umount(target: string) {
  if (libc().umount2(ptr(cstr(target)), MNT_DETACH) === 0) return
  const e = errno()
  if (e === constants.errno.EINVAL || e === constants.errno.ENOENT) return
  throw new SyscallError('umount2', e, target)
}

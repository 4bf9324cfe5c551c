// Opening a path inside a directory that someone else writes to (a task's sandbox) without ever following a
// symlink and without ever leaving the directory, at any component, atomically with the open: resolve-then-open on
// path strings lets a task swap a component for a symlink in between and have the agent read any host file
// (docs/security-files.md). The result is an O_PATH fd; callers check it with fstat and read through it.
//
// With openat2 the kernel does the whole walk under RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS. Without it (kernel < 5.6,
// seccomp), the walk is done here one component at a time: each is opened O_PATH|O_NOFOLLOW relative to the fd of
// its parent (through /proc/self/fd/<parent>, which names the open directory itself, not a path) and fstat'ed, so
// a symlink is seen as the link it is and refused; `..` pops back to the parent fd and may not pop past the root.

import { closeSync, constants, fstatSync, openSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { O_CLOEXEC, O_PATH, openat2, openat2Supported, RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from './openat2.ts'
import { errnoName } from './libc.ts'

const E = osConstants.errno

export type BeneathReason = 'missing' | 'symlink' | 'escape' | 'denied'

/** Why `rel` could not be opened beneath the root. */
export class BeneathError extends Error {
  constructor(readonly reason: BeneathReason, readonly rel: string, detail: string) {
    super(`cannot open '${rel}' beneath its root: ${detail}`)
  }
}

export type ResolveVia = 'openat2' | 'walk'

/** openat2 where the kernel has it, else the component walk. */
export function defaultVia(): ResolveVia { return openat2Supported() ? 'openat2' : 'walk' }

/**
 * An O_PATH fd (close-on-exec; the caller closes it) for `rel` beneath the directory `rootFd`. No component —
 * the last one included — may be a symlink; `..` may not climb above the root; absolute paths are refused.
 */
export function openBeneath(rootFd: number, rel: string, via: ResolveVia = defaultVia()): number {
  if (rel.includes('\0')) throw new BeneathError('missing', rel.replaceAll('\0', '\\0'), 'the path holds a NUL byte')
  if (rel.startsWith('/')) throw new BeneathError('escape', rel, 'the path is absolute')
  return via === 'openat2' ? viaOpenat2(rootFd, rel) : viaWalk(rootFd, rel)
}

function viaOpenat2(rootFd: number, rel: string): number {
  const resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
  // EAGAIN: a rename elsewhere raced a `..` lookup; the kernel asks to retry (openat2(2)).
  for (let attempt = 0; ; attempt++) {
    const fd = openat2(rootFd, rel || '.', O_PATH | O_CLOEXEC, resolve)
    if (fd >= 0) return fd
    if (-fd === E.EAGAIN && attempt < 16) continue
    throw fromErrno(-fd, rel)
  }
}

function viaWalk(rootFd: number, rel: string): number {
  const parts = rel.split('/').filter(p => p !== '' && p !== '.')
  // stack[0] is the caller's root (not ours to close); the rest are fds this walk opened.
  const stack = [rootFd]
  try {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      if (part === '..') {
        if (stack.length === 1) throw new BeneathError('escape', rel, "'..' leaves the root")
        closeSync(stack.pop()!)
        continue
      }
      let fd: number
      try {
        fd = openSync(`/proc/self/fd/${stack.at(-1)}/${part}`, O_PATH | constants.O_NOFOLLOW | O_CLOEXEC)
      } catch (err) {
        throw fromErrno(errnoOf(err), rel)
      }
      stack.push(fd)
      const st = fstatSync(fd)
      if (st.isSymbolicLink()) throw new BeneathError('symlink', rel, `'${parts.slice(0, i + 1).join('/')}' is a symbolic link`)
      if (i < parts.length - 1 && !st.isDirectory()) throw new BeneathError('missing', rel, `'${parts.slice(0, i + 1).join('/')}' is not a directory`)
    }
    if (stack.length === 1) return openSync(`/proc/self/fd/${rootFd}`, O_PATH | O_CLOEXEC)
    return stack.pop()!
  } finally {
    for (const fd of stack.slice(1)) closeSync(fd)
  }
}

function errnoOf(err: unknown): number {
  const e = err as NodeJS.ErrnoException
  return typeof e?.errno === 'number' ? Math.abs(e.errno) : E.ENOENT
}

function fromErrno(errno: number, rel: string): Error {
  const detail = errnoName(errno)
  switch (errno) {
    case E.ELOOP: return new BeneathError('symlink', rel, `${detail}: a component is a symbolic link`)
    case E.EXDEV: return new BeneathError('escape', rel, `${detail}: the path leaves its root`)
    case E.EACCES: case E.EPERM: return new BeneathError('denied', rel, detail)
    case E.ENOENT: case E.ENOTDIR: case E.ENAMETOOLONG: case E.EINVAL:
      return new BeneathError('missing', rel, detail)
    // EMFILE, ENOMEM, EIO, …: the agent's trouble, not the path's.
    default: return new Error(`cannot open '${rel}' beneath its root: ${detail}`)
  }
}

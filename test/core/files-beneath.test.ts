// The resolver the files API opens sandbox paths with (src/core/fs/beneath.ts, docs/security-files.md), both ways
// it works: openat2 (RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) and the O_NOFOLLOW component walk used without it. Real
// files, directories and symlinks in a temp dir: a symlink at every position of the path, `..`, absolute paths
// and absolute symlinks, and a directory swapped for a symlink after it was opened.

import { afterAll, describe, expect, test } from 'bun:test'
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BeneathError, openBeneath, type ResolveVia } from '../../src/core/fs/beneath.ts'
import { listDirectory, readAt, reopenForReading } from '../../src/core/fs/fd-io.ts'
import { O_CLOEXEC, O_PATH, openat2Supported } from '../../src/core/fs/openat2.ts'

const dir = mkdtempSync(join(tmpdir(), 'meso-beneath-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const outside = join(dir, 'outside')
mkdirSync(join(outside, 'b', 'c'), { recursive: true })
writeFileSync(join(outside, 'b', 'c', 'file'), 'OUTSIDE')
writeFileSync(join(outside, 'secret'), 'OUTSIDE', { mode: 0o600 })

/** A fresh root holding a/b/c/file. */
function freshRoot(name: string): string {
  const root = join(dir, name)
  mkdirSync(join(root, 'a', 'b', 'c'), { recursive: true })
  writeFileSync(join(root, 'a', 'b', 'c', 'file'), 'INSIDE')
  return root
}

function withRoot<T>(root: string, fn: (fd: number) => T): T {
  const fd = openSync(root, O_PATH | O_CLOEXEC)
  try { return fn(fd) } finally { closeSync(fd) }
}

/** What opening `rel` gives: the file's content, 'dir', or the refusal's reason. */
function outcome(root: string, rel: string, via: ResolveVia): string {
  return withRoot(root, rootFd => {
    let fd: number
    try { fd = openBeneath(rootFd, rel, via) } catch (err) {
      if (err instanceof BeneathError) return err.reason
      throw err
    }
    try {
      if (fstatSync(fd).isDirectory()) return 'dir'
      const r = reopenForReading(fd)
      try { return new TextDecoder().decode(readAt(r, 0, 100)) } finally { closeSync(r) }
    } finally {
      closeSync(fd)
    }
  })
}

const vias: ResolveVia[] = openat2Supported() ? ['openat2', 'walk'] : ['walk']
if (vias.length === 1) console.warn('\n*** openat2 is not available here: only the component walk is tested ***\n')

let n = 0
describe.each(vias)('openBeneath via %s', via => {
  test('plain paths open; the root itself, `.` and empty components are fine', () => {
    const root = freshRoot(`plain-${via}-${n++}`)
    expect(outcome(root, 'a/b/c/file', via)).toBe('INSIDE')
    expect(outcome(root, 'a//b/./c/file', via)).toBe('INSIDE')
    expect(outcome(root, 'a/b', via)).toBe('dir')
    expect(outcome(root, '', via)).toBe('dir')
    expect(outcome(root, '.', via)).toBe('dir')
  })

  test('missing paths, a file used as a directory and a NUL byte are "missing"', () => {
    const root = freshRoot(`missing-${via}-${n++}`)
    expect(outcome(root, 'a/nope', via)).toBe('missing')
    expect(outcome(root, 'a/b/c/file/x', via)).toBe('missing')
    expect(outcome(root, 'a/b/c/file\0/../../../../secret', via)).toBe('missing')
  })

  // a/b/c/file with each of the four components in turn replaced by a symlink: to the same thing inside the root
  // (relative), to its twin outside (absolute), and dangling. Every one is refused, wherever it sits.
  for (const position of [0, 1, 2, 3]) {
    for (const kind of ['inside', 'absolute-outside', 'relative-outside', 'dangling'] as const) {
      test(`a symlink as component ${position + 1} of a/b/c/file (${kind}) is refused`, () => {
        const root = freshRoot(`link-${via}-${position}-${kind}-${n++}`)
        const parts = ['a', 'b', 'c', 'file']
        const at = join(root, ...parts.slice(0, position + 1))
        renameSync(at, `${at}.real`)
        const name = parts[position]!
        const target = kind === 'inside' ? `${name}.real`
          : kind === 'absolute-outside' ? join(outside, ...parts.slice(1, position + 1))
          : kind === 'relative-outside' ? join('../'.repeat(position + 1), 'outside', ...parts.slice(1, position + 1))
          : 'nowhere'
        symlinkSync(target, at)
        expect(outcome(root, 'a/b/c/file', via)).toBe('symlink')
      })
    }
  }

  test('an absolute symlink to a mode-600 host file is refused', () => {
    const root = freshRoot(`abs-${via}-${n++}`)
    symlinkSync(join(outside, 'secret'), join(root, 'stdout'))
    symlinkSync('/etc/shadow', join(root, 'a', 'shadow'))
    expect(outcome(root, 'stdout', via)).toBe('symlink')
    expect(outcome(root, 'a/shadow', via)).toBe('symlink')
  })

  test('`..` inside the root is fine; climbing out of it, or an absolute path, is an escape', () => {
    const root = freshRoot(`dotdot-${via}-${n++}`)
    expect(outcome(root, 'a/b/../b/c/file', via)).toBe('INSIDE')
    expect(outcome(root, 'a/..', via)).toBe('dir')
    expect(outcome(root, '..', via)).toBe('escape')
    expect(outcome(root, '../outside/secret', via)).toBe('escape')
    expect(outcome(root, 'a/b/../../../outside/secret', via)).toBe('escape')
    expect(outcome(root, join(outside, 'secret'), via)).toBe('escape')
  })

  test('a directory swapped for a symlink: refused when opened afterwards; an fd opened before keeps the real directory', () => {
    const root = freshRoot(`swap-${via}-${n++}`)
    const held = withRoot(root, rootFd => openBeneath(rootFd, 'a/b/c', via))
    try {
      renameSync(join(root, 'a', 'b'), join(root, 'a', 'b.away'))
      symlinkSync(join(outside, 'b'), join(root, 'a', 'b'))
      expect(outcome(root, 'a/b/c/file', via)).toBe('symlink')
      expect(outcome(root, 'a/b', via)).toBe('symlink')
      // What was opened is what is listed and read, wherever it moved to.
      expect(listDirectory(held).map(e => e.name)).toEqual(['file'])
      const fileFd = openBeneath(held, 'file', via)
      const r = reopenForReading(fileFd)
      expect(new TextDecoder().decode(readAt(r, 0, 100))).toBe('INSIDE')
      closeSync(r)
      closeSync(fileFd)
    } finally {
      closeSync(held)
    }
  })

  test('the fd is O_PATH and close-on-exec; reading reopens the same inode', () => {
    const root = freshRoot(`flags-${via}-${n++}`)
    withRoot(root, rootFd => {
      const fd = openBeneath(rootFd, 'a/b/c/file', via)
      try {
        const flags = parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8)
        expect(flags & O_PATH).toBe(O_PATH)
        expect(flags & O_CLOEXEC).toBe(O_CLOEXEC)
        const r = reopenForReading(fd)
        expect(fstatSync(r).ino).toBe(fstatSync(fd).ino)
        closeSync(r)
      } finally {
        closeSync(fd)
      }
    })
  })
})

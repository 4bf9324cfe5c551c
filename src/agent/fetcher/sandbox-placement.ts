// Putting fetched files into a sandbox without ever writing outside it. The agent writes as root, and an archive
// fetched earlier for the same task may have left symlinks in the sandbox (`etc -> /etc`), so nothing here follows
// one: directories are created one component at a time and a component that exists and is not a real directory
// fails the fetch; files are written under a fresh temporary name (O_EXCL) and renamed over the destination, which
// replaces a symlink instead of writing through it; extracted trees are moved in the same way (moveInto).
// Files and directories created here belong to the task's user (`owner`), as upstream, whose fetcher runs as that
// user.

import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join, posix } from 'node:path'

export interface Owner { uid: number; gid: number }

const lstatOrUndefined = (path: string) => { try { return lstatSync(path) } catch { return undefined } }

/** Makes `relDir` (normalized, relative) inside `sandbox`, refusing to pass through anything but real directories. */
export function ensureSandboxDir(sandbox: string, relDir: string, owner?: Owner): string {
  let cur = sandbox
  if (relDir === '.' || relDir === '') return cur
  for (const part of relDir.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') throw new Error(`Unable to create subdirectory ${relDir} in sandbox: '..' is not allowed`)
    cur = join(cur, part)
    const st = lstatOrUndefined(cur)
    if (st?.isDirectory()) continue
    if (st) throw new Error(`Unable to create subdirectory ${relDir} in sandbox: '${cur.slice(sandbox.length + 1)}' exists and is not a directory`)
    mkdirSync(cur, { mode: 0o755 })
    if (owner) chownSync(cur, owner.uid, owner.gid)
  }
  return cur
}

/**
 * Writes `relPath` in the sandbox through `write(tmpPath)` (which must create tmpPath itself, exclusively), then
 * gives it its mode and owner and renames it into place. Returns the final path.
 */
export async function placeFile(sandbox: string, relPath: string, write: (tmpPath: string) => Promise<void>, o: { owner?: Owner; mode: number }): Promise<string> {
  const dir = ensureSandboxDir(sandbox, posix.dirname(relPath), o.owner)
  const final = join(dir, posix.basename(relPath))
  const tmp = join(dir, `.${posix.basename(relPath).slice(0, 100)}.fetching-${randomBytes(6).toString('hex')}`)
  try {
    await write(tmp)
    chmodSync(tmp, o.mode)
    if (o.owner) chownSync(tmp, o.owner.uid, o.owner.gid)
    if (lstatOrUndefined(final)?.isDirectory()) throw new Error(`'${relPath}' is a directory in the sandbox`)
    renameSync(tmp, final)
    return final
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

/**
 * Moves everything in `from` into `to` (a real directory inside the sandbox), merging directories as tar does
 * when it extracts over existing ones; anything else at a destination name (a file, a symlink) is replaced.
 */
export function moveInto(from: string, to: string) {
  for (const name of readdirSync(from)) {
    const src = join(from, name), dst = join(to, name)
    const s = lstatSync(src), d = lstatOrUndefined(dst)
    if (d?.isDirectory() && s.isDirectory()) { moveInto(src, dst); continue }
    if (d) rmSync(dst, { recursive: true, force: true })
    renameSync(src, dst)
  }
}

// Znode paths: ZooKeeper's rules (upstream PathUtils.validatePath) checked on the client, so a bad path fails
// with the path in the message instead of a server-side BADARGUMENTS, and the small helpers built on them.

export class InvalidPathError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`invalid ZooKeeper path '${path}': ${reason}`)
    this.name = 'InvalidPathError'
  }
}

/** Throws unless `path` is absolute, has no empty, '.' or '..' segment, no trailing slash (but '/') and no
 * control characters. `sequential` allows the trailing slash of a sequential create ("/group/" makes
 * "/group/0000000001"). */
export function validatePath(path: string, sequential = false): string {
  if (!path.startsWith('/')) throw new InvalidPathError(path, 'it must start with /')
  if (path === '/') return path
  if (path.endsWith('/') && !sequential) throw new InvalidPathError(path, 'it must not end with /')
  const segments = path.slice(1).split('/')
  if (sequential && segments.at(-1) === '') segments.pop()
  for (const s of segments) {
    if (s === '') throw new InvalidPathError(path, 'empty segment')
    if (s === '.' || s === '..') throw new InvalidPathError(path, `relative segment '${s}'`)
    // PathUtils rejects \u0000, \u0001-\u001F, \u007F-\u009F, \ud800-\uf8ff and \ufff0-\uffff.
    if (/[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/.test(s)) throw new InvalidPathError(path, 'control or reserved character')
  }
  return path
}

/** The parent of a path: '/a/b' → '/a', '/a' → '/'. */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`
}

/** Every ancestor of `path` from the top down, then `path` itself: '/a/b' → ['/a', '/a/b']. */
export function pathPrefixes(path: string): string[] {
  if (path === '/') return []
  const out: string[] = []
  let at = ''
  for (const s of path.slice(1).split('/')) out.push((at = `${at}/${s}`))
  return out
}

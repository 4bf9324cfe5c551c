// Whether a container's command exists, checked on the host before the container is created. crun makes this check
// itself for the process it executes, and a missing command fails the launch (REASON_CONTAINER_LAUNCH_FAILED, exit
// 125 from `meso task run`). Under the container init crun executes the init, which would only fail later, exiting
// 1 as if the task had; so the spec builder repeats crun's check for the task's own command. It answers 'missing'
// only when sure: paths it cannot see from the host (tmpfs, the sandbox, volumes) count as 'unknown'.

import { accessSync, constants, lstatSync, readlinkSync, statSync } from 'node:fs'
import { isAbsolute, join, posix } from 'node:path'

export interface LookupRoot {
  /** Host directory that is the container's "/" (an image's rootfs), or "/" for the host's root. */
  root: string
  /** Where the container has mounts the host cannot see through (the sandbox, volumes): nothing is judged there. */
  opaque: readonly string[]
  /**
   * Fresh, empty tmpfs mounts (the hidden host directories, /tmp among them): nothing below one exists in the
   * container, except under `visible` host directories bound to themselves inside it (a sandbox under /tmp).
   */
  empty?: readonly string[]
  visible?: readonly string[]
}

const under = (path: string, dir: string) => path.startsWith(`${dir}/`)

/** 'found', 'missing' (crun would refuse it), or 'unknown'. */
export function lookupCommand(argv0: string, pathEnv: string | undefined, cwd: string, r: LookupRoot): 'found' | 'missing' | 'unknown' {
  if (!argv0) return 'unknown'
  const candidates = argv0.includes('/')
    ? [isAbsolute(argv0) ? argv0 : posix.join(cwd, argv0)]
    : (pathEnv ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(d => isAbsolute(d)).map(d => posix.join(d, argv0))
  let unknown = false
  for (const c of candidates) {
    const host = resolveInRoot(c, r)
    if (host === 'unknown') { unknown = true; continue }
    if (host && isExecutableFile(host)) return 'found'
  }
  return unknown ? 'unknown' : 'missing'
}

/**
 * The host path of a container path, following symlinks as the container would see them (an absolute link target
 * starts again from its root); undefined when something on the way does not exist, 'unknown' when it leaves what the
 * host can see.
 */
function resolveInRoot(containerPath: string, r: LookupRoot): string | undefined | 'unknown' {
  let parts = containerPath.split('/').filter(Boolean)
  let resolved: string[] = []
  for (let hops = 0; parts.length; ) {
    const part = parts.shift()!
    if (part === '.') continue
    if (part === '..') { resolved.pop(); continue }
    const next = [...resolved, part]
    const path = `/${next.join('/')}`
    if (r.opaque.some(d => path === d || under(path, d))) return 'unknown'
    const empty = r.empty?.filter(d => under(path, d)).sort((a, b) => b.length - a.length)[0]
    if (empty && !r.visible?.some(v => v.length > empty.length && (path === v || under(path, v)))) {
      // Inside a fresh tmpfs only mount points exist, and the directories leading to them.
      if (![...r.opaque, ...(r.visible ?? [])].some(d => under(d, path))) return undefined
      resolved = next
      continue
    }
    const host = join(r.root, ...next)
    let st
    // Missing on the host, yet a mount point below it would make it exist in the container.
    try { st = lstatSync(host) } catch { return r.opaque.some(d => d.startsWith(`${path}/`)) ? 'unknown' : undefined }
    if (st.isSymbolicLink()) {
      if (++hops > 40) return undefined
      const target = readlinkSync(host)
      parts = [...target.split('/').filter(Boolean), ...parts]
      if (isAbsolute(target)) resolved = []
      continue
    }
    resolved = next
  }
  return join(r.root, ...resolved)
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

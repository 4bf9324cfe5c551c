// Which cgroup hierarchy this host has, where each controller lives, and the host preparation crun needs.
// Detection (docs/containerizer.md, cgroup detection): /sys/fs/cgroup/cgroup.controllers → v2 (unified); else
// /sys/fs/cgroup/unified/cgroup.controllers → hybrid (treated as v1); else legacy v1.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type CgroupVersion = 'v1' | 'v2'

export interface CgroupHierarchy {
  version: CgroupVersion
  /** v1: controller → mount point (e.g. memory → /sys/fs/cgroup/memory). v2: every controller → the unified root. */
  mounts: Map<string, string>
  /** Host path of a controller's directory for an OCI cgroupsPath ("/meso/<id>"), or undefined if not mounted. */
  dir(controller: string, cgroupsPath: string): string | undefined
}

export function hierarchy(version: CgroupVersion, mounts: Map<string, string>): CgroupHierarchy {
  return {
    version,
    mounts,
    dir(controller, cgroupsPath) {
      const root = version === 'v2' ? mounts.get('') : mounts.get(controller)
      return root ? join(root, cgroupsPath) : undefined
    },
  }
}

/** Parses /proc/self/mountinfo text into controller → mount point (v1) or '' → unified root (v2). */
export function parseCgroupMounts(mountinfo: string): { v1: Map<string, string>; v2?: string } {
  const v1 = new Map<string, string>()
  let v2: string | undefined
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ')
    if (sep < 0) continue
    const left = line.slice(0, sep).split(' ')
    const right = line.slice(sep + 3).split(' ')
    const mountPoint = left[4]!
    const fstype = right[0]
    if (fstype === 'cgroup2') { v2 ??= mountPoint; continue }
    if (fstype !== 'cgroup') continue
    for (const opt of (right[2] ?? '').split(',')) {
      if (['rw', 'ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'noatime', 'clone_children', 'xattr'].includes(opt) || opt.startsWith('release_agent')) continue
      v1.set(opt, mountPoint)
    }
  }
  return { v1, v2 }
}

export function detectHierarchy(base = '/sys/fs/cgroup', mountinfoPath = '/proc/self/mountinfo'): CgroupHierarchy {
  if (existsSync(join(base, 'cgroup.controllers'))) return hierarchy('v2', new Map([['', base]]))
  let mountinfo = ''
  try { mountinfo = readFileSync(mountinfoPath, 'utf8') } catch { /* none */ }
  return hierarchy('v1', parseCgroupMounts(mountinfo).v1)
}

/**
 * crun refuses "hybrid" hosts whose cgroup2 mount still owns a controller (hugetlb here). As Mesos mounts its own
 * hierarchies, give every such controller its own v1 hierarchy. Idempotent; needs root. Returns what it mounted.
 */
export async function fixHybridHierarchy(base = '/sys/fs/cgroup'): Promise<string[]> {
  const unified = join(base, 'unified', 'cgroup.controllers')
  let controllers: string[] = []
  try { controllers = readFileSync(unified, 'utf8').trim().split(/\s+/).filter(Boolean) } catch { return [] }
  const mounted: string[] = []
  for (const c of controllers) {
    const dir = join(base, c)
    mkdirSync(dir, { recursive: true })
    const isMount = Bun.spawnSync(['mountpoint', '-q', dir]).exitCode === 0
    if (isMount) continue
    const r = Bun.spawnSync(['mount', '-t', 'cgroup', '-o', c, 'cgroup', dir])
    if (r.exitCode !== 0) throw new Error(`cannot mount the ${c} cgroup controller at ${dir}: ${r.stderr.toString().trim()}`)
    mounted.push(c)
  }
  return mounted
}

/**
 * cgroup v2's "no internal processes" rule: crun must enable controllers in every ancestor's subtree_control, which
 * fails with EBUSY when the agent itself sits in the cgroup-namespace root (typical inside a container). Moving the
 * agent into a leaf first, as container entrypoints do, makes it work.
 */
export function prepareV2Root(base = '/sys/fs/cgroup', pid = process.pid): 'ok' | 'moved' {
  const want = ['cpu', 'memory', 'pids']
  const available = readFileSync(join(base, 'cgroup.controllers'), 'utf8').trim().split(/\s+/)
  const enable = want.filter(c => available.includes(c)).map(c => `+${c}`).join(' ')
  if (!enable) return 'ok'
  try {
    writeFileSync(join(base, 'cgroup.subtree_control'), enable)
    return 'ok'
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EBUSY') throw err
  }
  const leaf = join(base, 'meso-agent')
  mkdirSync(leaf, { recursive: true })
  for (const p of readFileSync(join(base, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean)) {
    try { writeFileSync(join(leaf, 'cgroup.procs'), p) } catch { /* kernel threads and exited processes */ }
  }
  writeFileSync(join(leaf, 'cgroup.procs'), String(pid))
  writeFileSync(join(base, 'cgroup.subtree_control'), enable)
  return 'moved'
}

// Signalling every process of a container, as `crun kill --all` does (PID 1 of a pid namespace ignores SIGTERM
// unless it handles it, so every process gets the signal): the pids come from the container's cgroup, its nested
// containers' cgroups included. Done in the agent, this saves starting crun for each kill (a destroy of 1,000
// containers started 1,000 of them). When the cgroup cannot be read the caller falls back to the runtime.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CgroupHierarchy } from '../../isolators/cgroups/hierarchy.ts'

/** The directory whose cgroup.procs lists the container's processes (v2: the unified one; v1: pids, else memory). */
export function containerCgroupDir(h: CgroupHierarchy, cgroupsPath: string): string | undefined {
  if (h.version === 'v2') return h.dir('', cgroupsPath)
  return h.dir('pids', cgroupsPath) ?? h.dir('memory', cgroupsPath)
}

/** Every pid in `dir`'s cgroup.procs and below; undefined when `dir` itself cannot be read. */
export function cgroupPids(dir: string): number[] | undefined {
  let own: string
  try { own = readFileSync(join(dir, 'cgroup.procs'), 'utf8') } catch { return undefined }
  const pids = own.split('\n').filter(Boolean).map(Number).filter(p => Number.isInteger(p) && p > 0)
  let children: string[] = []
  try { children = readdirSync(dir, { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name) } catch { /* removed meanwhile */ }
  for (const child of children) pids.push(...cgroupPids(join(dir, child)) ?? [])
  return pids
}

/**
 * Sends `signal` to every process of the cgroup at `dir`. Returns false when the cgroup cannot be read (the
 * caller then asks the runtime); a process that is gone meanwhile is skipped.
 */
export function signalCgroup(dir: string, signal: NodeJS.Signals): boolean {
  const pids = cgroupPids(dir)
  if (!pids) return false
  for (const pid of pids) {
    try { process.kill(pid, signal) } catch { /* exited meanwhile */ }
  }
  return true
}

// A test agent's own --cgroups_root: where its containers' cgroups live (v1: under each controller's hierarchy;
// v2: under /sys/fs/cgroup), to check that none is left and to remove the (then empty) root when the test ends.

import { existsSync, readdirSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'

const hierarchies = () => {
  const base = '/sys/fs/cgroup'
  if (existsSync(join(base, 'cgroup.controllers'))) return [base]
  return readdirSync(base).map(c => join(base, c)).filter(d => existsSync(join(d, 'cgroup.procs')))
}

/** The container cgroups left under the root, in any hierarchy. */
export function cgroupsLeft(root: string): string[] {
  const left = new Set<string>()
  for (const h of hierarchies()) {
    const dir = join(h, root)
    if (!existsSync(dir)) continue
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) left.add(d.name)
  }
  return [...left]
}

/** Removes the root and whatever empty cgroups are below it (rmdir, deepest first), in every hierarchy. */
export function removeCgroupRoot(root: string) {
  const rm = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) rm(join(dir, d.name))
    try { rmdirSync(dir) } catch { /* busy: a process is still in it */ }
  }
  for (const h of hierarchies()) if (existsSync(join(h, root))) rm(join(h, root))
}

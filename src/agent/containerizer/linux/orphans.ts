// Containers found on the host that the agent's checkpoint does not know (the agent died between creating one and
// checkpointing it, or the checkpoint was removed): each is deleted with crun, its conmon killed and its runtime
// dirs removed. The containerizer then has the isolators and the provisioner release what they held for it.

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../../core/log.ts'
import type { OciRuntime } from '../oci-runtime.ts'
import { readFileSafe } from './exec-session.ts'
import type { RuntimeDirs } from './runtime-dirs.ts'

const log = logger('linux-launcher')

export async function destroyOrphans(runtime: OciRuntime, dirs: RuntimeDirs, known: Set<string>): Promise<string[]> {
  const removed: string[] = []
  const ids = new Set([...(await runtime.list()), ...safeReaddir(dirs.bundles)])
  // Children before parents, so a group's cgroup is empty when its parent goes. Only orphans are looked at: reading
  // every re-adopted container's config.json in the sort made a restart with 1,000 running take seconds.
  const orphans = [...ids].filter(id => !known.has(id)).map(id => ({ id, depth: depth(dirs, id) }))
  for (const { id } of orphans.sort((a, b) => b.depth - a.depth)) {
    const conmonPid = Number(readFileSafe(join(dirs.bundle(id), 'conmon.pid')) || 0)
    await runtime.delete(id)
    if (conmonPid && readFileSafe(`/proc/${conmonPid}/cmdline`)?.includes(id)) { try { process.kill(conmonPid, 'SIGKILL') } catch { /* gone */ } }
    dirs.remove(id)
    removed.push(id)
    log.info(`Destroyed orphan container ${id}`)
  }
  return removed
}

/** How deep the container's cgroup is (a nested container's is below its parent's). */
function depth(dirs: RuntimeDirs, id: string): number {
  try { return (JSON.parse(readFileSync(join(dirs.bundle(id), 'config.json'), 'utf8')).linux.cgroupsPath as string).split('/').length } catch { return 0 }
}

function safeReaddir(dir: string): string[] { try { return readdirSync(dir) } catch { return [] } }

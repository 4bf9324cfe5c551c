// Creating and removing persistent volume directories on disk, as upstream Slave::syncCheckpointedResources does:
// a new volume's directory is made (0755, owned by the agent; the task's user gets it when a container first uses
// it, see persistent-volume-isolator.ts), an existing one is left as it is (data a previous run of the agent left
// there stays); a destroyed one is removed with everything in it — but never while a container uses it (the master
// refuses such a DESTROY; if one arrives anyway the directory is kept until that container is gone).

import { existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs'
import { logger } from '../../core/log.ts'
import { CheckpointedResourcesError, diskInfo, type VolumeDir } from './checkpointed-resources.ts'

const log = logger('volumes')

const describe = (v: VolumeDir) => `persistent volume ${diskInfo(v.volume)?.persistence?.id} at '${v.path}'`

/** Makes the directory of each new volume; throws naming the volume when one cannot be made. */
export function createVolumeDirs(dirs: readonly VolumeDir[]) {
  for (const d of dirs) {
    if (existsSync(d.path)) {
      if (!lstatSync(d.path).isDirectory()) throw new CheckpointedResourcesError(`Failed to create the ${describe(d)}: the path exists and is not a directory`)
      log.info(`Reusing the existing directory of the ${describe(d)}`)
      continue
    }
    try {
      mkdirSync(d.path, { recursive: true, mode: 0o755 })
    } catch (err) {
      throw new CheckpointedResourcesError(`Failed to create the ${describe(d)}: ${(err as Error).message}`)
    }
    log.info(`Created the ${describe(d)}`)
  }
}

/**
 * Removes the directory of each destroyed volume that no container uses; returns those left in place because one
 * does (to be removed once it is gone). Throws naming the volume when a removal fails.
 */
export function removeVolumeDirs(dirs: readonly VolumeDir[], inUse: (path: string) => boolean): VolumeDir[] {
  const kept: VolumeDir[] = []
  for (const d of dirs) {
    if (inUse(d.path)) {
      log.error(`Not removing the destroyed ${describe(d)}: a running container still uses it; it goes once that container has ended`)
      kept.push(d)
      continue
    }
    if (!existsSync(d.path)) { log.warn(`The destroyed ${describe(d)} has no directory to remove`); continue }
    try {
      // rm -r does not follow symbolic links: a link a task left in the volume removes the link only.
      rmSync(d.path, { recursive: true, force: true })
    } catch (err) {
      throw new CheckpointedResourcesError(`Failed to remove the ${describe(d)}: ${(err as Error).message}`)
    }
    log.info(`Removed the destroyed ${describe(d)}`)
  }
  return kept
}

// How a linux container ended, from what its conmon left: the exit code in <runtime>/exits/<id>, an `oom` marker in
// its persist dir when the kernel's OOM killer struck (cgroups/mem turns that into a limitation), or nothing at all
// when conmon itself died — then the status is unknown.

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { logger } from '../../../core/log.ts'
import { waitStatusOf, type Termination } from '../launcher.ts'
import { isAlive, readExitFile } from '../process-supervisor.ts'
import type { ExitWatcher } from './exit-watcher.ts'
import type { RuntimeDirs } from './runtime-dirs.ts'

const log = logger('linux-launcher')

export interface Supervised { pid: number; pidStart?: string; conmonPid: number; conmonStart?: string }

/**
 * Resolves once the container's exit is recorded (the launcher's one watcher of the exits dir, exit-watcher.ts), or
 * conmon is gone without recording it.
 */
export async function watchExit(dirs: RuntimeDirs, exits: ExitWatcher, id: string, p: Supervised): Promise<Termination> {
  const alive = () => isAlive(p.conmonPid, p.conmonStart) || isAlive(p.pid, p.pidStart)
  const r = await exits.wait(id, alive)
  if (r === 'gone') {
    log.warn(`Container ${id}: its conmon died without recording an exit status`)
    return { unknown: 'the container monitor (conmon) exited without recording an exit status' }
  }
  const code = readExitFile(dirs.exitFile(id)) ?? 255
  const t: Termination = { exitCode: code, waitStatus: waitStatusOf(code) }
  if (existsSync(join(dirs.persist(id), 'oom'))) t.oomKilled = true
  return t
}

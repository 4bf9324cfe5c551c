// Persistent volumes in containers: the part of upstream's filesystem/linux and filesystem/posix isolators that
// mounts (linux launcher: a bind mount in the container's OCI spec, read-only for mode RO) or links (posix launcher:
// a symlink in the sandbox) each persistent volume among a container's resources at its container path
// (volume-mounts.ts). Always on with either launcher, whatever --isolation says, so a task's volume is never dropped.
// As upstream, a volume used by a task whose user is not root is handed to that user (chown of the volume's
// directory itself, not of its contents) when the container starts, so the task can write it.

import { chownSync, existsSync, lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync } from 'node:fs'
import { release } from 'node:os'
import { dirname } from 'node:path'
import { logger } from '../../core/log.ts'
import { lookupUser } from '../../core/posix-user.ts'
import { readOnlyBindOption, type OciSpec } from '../containerizer/oci-spec.ts'
import { mustSwitchUser } from '../containerizer/user.ts'
import { IsolationError, type IsolationContext, type Isolator } from '../isolators/isolator.ts'
import { planVolumeMounts, type VolumeMount } from './volume-mounts.ts'

const log = logger('persistent-volumes')
const READ_ONLY = readOnlyBindOption(release())

export const PERSISTENT_VOLUME_ISOLATOR = 'volume/persistent'

/** Hands the volume's directory to the task's user as upstream does (not recursively); root needs nothing. */
function handOver(m: VolumeMount, uid: number, gid: number, containerId: string) {
  if (uid === 0) return
  const st = statSync(m.source)
  if (st.uid === uid && st.gid === gid) return
  log.info(`Changing the ownership of the persistent volume '${m.persistenceId}' at '${m.source}' to ${uid}:${gid} for container ${containerId}`)
  try { chownSync(m.source, uid, gid) } catch (err) {
    throw new IsolationError(`Failed to change the ownership of the persistent volume at '${m.source}' to ${uid}:${gid}: ${(err as Error).message}`)
  }
}

export function createPersistentVolumeIsolator(launcher: 'linux' | 'posix', workDir: string | undefined, switchUser: boolean): Isolator {
  /** Mounts to add to each container's spec, from prepare to isolate (linux). */
  const pending = new Map<string, VolumeMount[]>()

  const plan = (ctx: IsolationContext): VolumeMount[] => {
    const volumes = ctx.resources.list.filter(r => (r.disk as { persistence?: unknown } | undefined)?.persistence)
    if (!volumes.length) return []
    if (!workDir) throw new IsolationError('Persistent volumes need the agent work dir, which this containerizer was not given')
    let mounts: VolumeMount[]
    try {
      mounts = planVolumeMounts(volumes, { workDir, launcher, sandbox: ctx.sandbox, hasImage: !!ctx.container?.mesos?.image })
    } catch (err) { throw new IsolationError((err as Error).message) }
    for (const m of mounts) {
      if (!existsSync(m.source)) throw new IsolationError(`Persistent volume '${m.persistenceId}' does not exist on this agent (no directory at '${m.source}'): it was never created or has been destroyed`)
    }
    return mounts
  }

  return {
    name: PERSISTENT_VOLUME_ISOLATOR,
    posix: true,
    prepare(ctx: IsolationContext) {
      const mounts = plan(ctx)
      if (!mounts.length) return
      if (launcher === 'posix') {
        const user = mustSwitchUser(ctx.user, switchUser) ? lookupUser(ctx.user!) : undefined
        if (mustSwitchUser(ctx.user, switchUser) && !user) throw new IsolationError(`Persistent volume: no user '${ctx.user}' on this agent to own it`)
        for (const m of mounts) {
          if (user) handOver(m, user.uid, user.gid, ctx.containerId)
          const link = m.sandboxTarget!
          if (existsSync(link) || isLink(link)) {
            // A relaunch in the same sandbox: the link must still point at this volume.
            if (isLink(link) && readlinkSync(link) === m.source) continue
            throw new IsolationError(`Persistent volume '${m.persistenceId}': '${link}' already exists in the sandbox`)
          }
          mkdirSync(dirname(link), { recursive: true })
          symlinkSync(m.source, link)
          log.info(`Linked persistent volume '${m.persistenceId}' at '${link}' for container ${ctx.containerId}`)
        }
        return
      }
      for (const m of mounts) if (m.sandboxTarget) mkdirSync(m.sandboxTarget, { recursive: true })
      pending.set(ctx.containerId, mounts)
    },
    isolate(spec: OciSpec, ctx: IsolationContext) {
      const mounts = pending.get(ctx.containerId)
      if (!mounts) return
      pending.delete(ctx.containerId)
      // The spec knows the user the process runs as (an image's user included).
      const { uid, gid } = spec.process.user
      for (const m of mounts) {
        handOver(m, uid, gid, ctx.containerId)
        spec.mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readOnly ? READ_ONLY : 'rw'] })
        log.info(`Mounting persistent volume '${m.persistenceId}' from '${m.source}' at '${m.destination}' (${m.readOnly ? 'RO' : 'RW'}) for container ${ctx.containerId}`)
      }
    },
    cleanup(containerId: string) { pending.delete(containerId) },
  }
}

function isLink(path: string): boolean {
  try { return lstatSync(path).isSymbolicLink() } catch { return false }
}

// The agent's resources as the master sees them: the static ones (--resources or detected, static reservations
// included) with the checkpointed dynamic reservations and persistent volumes applied. The master sends the complete
// checkpointed set in CHECKPOINT_RESOURCES (src/core/agent-protocol.ts); it is stored as a target, the volume
// directories are synced, then it is committed (upstream Slave::checkpointResourceState), so a kill -9 anywhere in
// between is finished on the next start, before the agent re-registers with what it last applied.

import { logger } from '../../core/log.ts'
import { formatResources, type Resource, type Resources } from '../../core/resources.ts'
import type { Checkpoint } from '../checkpoint.ts'
import { applyCheckpointedResources, CheckpointedResourcesError, sameCheckpointedResources, volumeDirChanges, type VolumeDir } from './checkpointed-resources.ts'
import { createVolumeDirs, removeVolumeDirs } from './volume-dirs.ts'

const log = logger('agent-resources')

export class AgentResources {
  private current: Resource[] = []
  private totalResources: Resources
  /** Destroyed volumes whose directory a running container still used: removed once it is gone. */
  private deferred: VolumeDir[] = []

  constructor(private readonly checkpoint: Checkpoint, private readonly workDir: string, private readonly staticResources: Resources) {
    this.totalResources = staticResources
  }

  /** Dynamic reservations and persistent volumes, as last applied (REREGISTER reports them). */
  get checkpointed(): Resource[] { return this.current }
  /** Static resources with the checkpointed ones applied. */
  get total(): Resources { return this.totalResources }

  /**
   * At start: reads the committed set, finishes a sync a restart interrupted, and checks the set still fits the
   * static resources. Throws CheckpointedResourcesError (the agent must not start) as upstream's recovery fails.
   * `inUse` tells which volume directories the checkpointed containers use.
   */
  recover(inUse: (path: string) => boolean) {
    const committed = this.checkpoint.checkpointedResources()
    const target = this.checkpoint.targetCheckpointedResources()
    this.current = committed
    if (target) {
      log.info(`Finishing the interrupted update of the checkpointed resources to ${formatResources(target) || '(none)'}`)
      try {
        this.sync(committed, target, inUse)
      } catch (err) {
        throw new CheckpointedResourcesError(`Target checkpointed resources ${formatResources(target)} failed to sync from current checkpointed resources ${formatResources(committed)}: ${(err as Error).message}`)
      }
      this.checkpoint.commitCheckpointedResources(target)
      this.current = target
    }
    try {
      this.totalResources = applyCheckpointedResources(this.staticResources, this.current)
    } catch (err) {
      throw new CheckpointedResourcesError(`Checkpointed resources ${formatResources(this.current)} are incompatible with agent resources ${this.staticResources.toString()}: ${(err as Error).message}`)
    }
    if (this.current.length) log.info(`Recovered checkpointed resources ${formatResources(this.current)}`)
  }

  /**
   * CHECKPOINT_RESOURCES: persist the new set, create the directories of new volumes, remove those of destroyed
   * ones (unless `inUse`), commit. A set that does not fit the static resources is refused with an error (upstream
   * aborts the agent; the master guarantees it never happens).
   */
  apply(next: readonly Resource[], inUse: (path: string) => boolean) {
    if (sameCheckpointedResources(next, this.current)) {
      log.info('Ignoring new checkpointed resources identical to the current ones')
      return
    }
    const total = applyCheckpointedResources(this.staticResources, next)
    this.checkpoint.setTargetCheckpointedResources(next)
    this.sync(this.current, next, inUse)
    this.checkpoint.commitCheckpointedResources(next)
    log.info(`Updated checkpointed resources from ${formatResources(this.current) || '(none)'} to ${formatResources(next) || '(none)'}`)
    this.current = [...next]
    this.totalResources = total
  }

  /** A container ended: remove the destroyed volumes nothing uses any more. */
  retryDeferredRemovals(inUse: (path: string) => boolean) {
    if (!this.deferred.length) return
    // A volume re-created with the same persistence id meanwhile is live again.
    const live = new Set(volumeDirChanges(this.workDir, [], this.current).create.map(v => v.path))
    this.deferred = removeVolumeDirs(this.deferred.filter(v => !live.has(v.path)), inUse)
  }

  /**
   * The agent registers as a new agent (resources changed with --strict=false, or the host rebooted): the master
   * knows nothing of this checkpoint, so it is dropped. Volume directories stay on disk, named in the log, for an
   * operator to recover their data: nothing was destroyed.
   */
  forget(why: string) {
    // Called instead of `recover`: read what is there, a pending target included.
    const held = this.checkpoint.targetCheckpointedResources() ?? this.checkpoint.checkpointedResources()
    this.current = []
    this.totalResources = this.staticResources
    if (!held.length) return
    let kept: string[] = []
    try { kept = volumeDirChanges(this.workDir, held, []).remove.map(v => v.path) } catch { /* invalid volumes have no directory */ }
    log.warn(`Dropping checkpointed resources ${formatResources(held)} (${why})${kept.length ? `; volume directories left in place: ${kept.join(', ')}` : ''}`)
    this.checkpoint.commitCheckpointedResources([])
  }

  private sync(before: readonly Resource[], after: readonly Resource[], inUse: (path: string) => boolean) {
    const { create, remove } = volumeDirChanges(this.workDir, before, after)
    createVolumeDirs(create)
    this.deferred.push(...removeVolumeDirs(remove, inUse))
  }
}

// The agent's checkpointed resources (dynamic reservations and persistent volumes, as the master last sent them in
// CHECKPOINT_RESOURCES), without I/O: what they turn the agent's static resources into (upstream
// applyCheckpointedResources in src/common/resources_utils.cpp), where each persistent volume lives on disk
// (src/slave/paths.cpp getPersistentVolumePath) and which volume directories a new set creates or removes
// (Slave::syncCheckpointedResources in src/slave/slave.cpp). docs/resources.md, "Persistent volumes on the agent".

import { join } from 'node:path'
import { formatResources, normalizeResource, reservationRole, Resources, type Resource } from '../../core/resources.ts'
import { roleError } from '../../core/roles.ts'
import { idError } from '../../master/validation/fields.ts'

/** Resource.DiskInfo as far as the agent reads it. */
export interface DiskInfo {
  persistence?: { id?: string; principal?: string }
  volume?: { container_path?: string; mode?: 'RW' | 'RO' }
  source?: { type?: string }
}

export class CheckpointedResourcesError extends Error {}

export const diskInfo = (r: Resource): DiskInfo | undefined => r.disk as DiskInfo | undefined

/** A disk resource with a persistence id (upstream Resources::isPersistentVolume). */
export function isPersistentVolume(r: Resource): boolean {
  return r.name === 'disk' && typeof diskInfo(r)?.persistence?.id === 'string'
}

/** Reserved, and the innermost reservation is dynamic (upstream Resources::isDynamicallyReserved). */
export function isDynamicallyReserved(r: Resource): boolean {
  const rs = normalizeResource(r).reservations
  return !!rs?.length && rs[rs.length - 1]!.type === 'DYNAMIC'
}

/** What the agent must checkpoint: dynamic reservations and persistent volumes (upstream needCheckpointing). */
export function needsCheckpointing(r: Resource): boolean {
  return isDynamicallyReserved(r) || isPersistentVolume(r)
}

/**
 * The agent's total: its static resources (--resources, which may hold static reservations) with every checkpointed
 * resource carved out of what it was made from — a dynamic reservation out of the unreserved (or statically
 * reserved) resource beneath it, a volume out of its plain disk. Throws when the static resources do not contain
 * one of them (the agent was restarted with smaller --resources), with upstream's message.
 */
export function applyCheckpointedResources(staticResources: Resources, checkpointed: readonly Resource[]): Resources {
  let total = staticResources
  for (const raw of checkpointed) {
    const r = normalizeResource(raw)
    if (!needsCheckpointing(r)) throw new CheckpointedResourcesError(`Unexpected checkpointed resources ${formatResources([r])}`)
    const stripped: Resource = { ...r }
    if (isDynamicallyReserved(r)) {
      // Only unreserved and statically reserved resources come from --resources: keep a static base reservation.
      const base = r.reservations![0]!
      delete stripped.reservations
      if (base.type === 'STATIC') stripped.reservations = [base]
    }
    if (isPersistentVolume(r)) {
      const disk = { ...diskInfo(r) }
      delete disk.persistence
      delete disk.volume
      if (disk.source) stripped.disk = disk
      else delete stripped.disk
    }
    delete stripped.shared
    const part = Resources.of([stripped])
    if (!total.contains(part)) {
      throw new CheckpointedResourcesError(`Incompatible agent resources: ${total.toString()} does not contain ${part.toString()}`)
    }
    total = total.minus(part).plus(Resources.of([r]))
  }
  return total
}

/**
 * `<work_dir>/volumes/roles/<role>/<persistence id>`; a `/` in a hierarchical role becomes a space, as upstream
 * encodes it (whitespace is not allowed in role names, so the mapping is unambiguous). Throws for a role or id that
 * could name another directory, and for disks with a source (PATH and MOUNT disks are not offered by meso agents).
 */
export function persistentVolumePath(workDir: string, volume: Resource): string {
  const disk = diskInfo(volume)
  const id = disk?.persistence?.id
  if (id === undefined) throw new CheckpointedResourcesError(`Resource ${formatResources([volume])} is not a persistent volume`)
  const role = reservationRole(normalizeResource(volume))
  if (role === '*') throw new CheckpointedResourcesError(`Persistent volume '${id}' is not reserved for a role`)
  const bad = roleError(role) ?? idError(id)
  if (bad) throw new CheckpointedResourcesError(`Persistent volume '${id}' of role '${role}': ${bad}`)
  if (disk?.source) throw new CheckpointedResourcesError(`Persistent volume '${id}' of role '${role}': disks with a source (${disk.source.type ?? 'unknown type'}) are not supported by this agent`)
  return join(workDir, 'volumes', 'roles', role.replaceAll('/', ' '), id)
}

export interface VolumeDir {
  path: string
  /** The persistent volume (one of them, when several resources name the same directory). */
  volume: Resource
}

function volumeDirs(workDir: string, resources: readonly Resource[]): Map<string, VolumeDir> {
  const out = new Map<string, VolumeDir>()
  for (const r of resources) {
    if (!isPersistentVolume(r)) continue
    const path = persistentVolumePath(workDir, r)
    if (!out.has(path)) out.set(path, { path, volume: r })
  }
  return out
}

/** Which volume directories going from `before` to `after` creates and removes (paths in both stay untouched). */
export function volumeDirChanges(workDir: string, before: readonly Resource[], after: readonly Resource[]): { create: VolumeDir[]; remove: VolumeDir[] } {
  const old = volumeDirs(workDir, before)
  const next = volumeDirs(workDir, after)
  return {
    create: [...next.values()].filter(v => !old.has(v.path)),
    remove: [...old.values()].filter(v => !next.has(v.path)),
  }
}

/** The persistent volumes among `resources` with the directory each lives in. */
export function persistentVolumesOf(workDir: string, resources: Resources | readonly Resource[]): VolumeDir[] {
  const list = resources instanceof Resources ? resources.list : resources
  return list.filter(isPersistentVolume).map(volume => ({ path: persistentVolumePath(workDir, volume), volume }))
}

/** The directories of the valid persistent volumes among `resources` (what a container with them has mounted). */
export function volumePathsOf(workDir: string, resources: readonly Resource[] | undefined): string[] {
  const out: string[] = []
  for (const r of resources ?? []) {
    if (!isPersistentVolume(r)) continue
    try { out.push(persistentVolumePath(workDir, r)) } catch { /* never mounted: its launch failed */ }
  }
  return out
}

/** Whether two lists hold the same checkpointed resources, whatever their order and splitting. */
export function sameCheckpointedResources(a: readonly Resource[], b: readonly Resource[]): boolean {
  return Resources.of(a).equals(Resources.of(b))
}

// What offer operations need to know about one Resource beyond arithmetic: its reservation format (the
// "pre-refinement" `role` + `reservation` pair old frameworks speak, the "post-refinement" `reservations` stack meso
// keeps), whether it is dynamically reserved or a persistent volume, and how Mesos prints it in error messages.
// Upstream: src/common/resources.cpp (Resources::validate, operator<<), src/common/resources_utils.cpp
// (convertResourceFormat, upgradeResources, downgradeResources).

import { normalizeResource, type ReservationInfo, type Resource } from '../../core/resources.ts'
import { roleError } from '../../core/roles.ts'

/** A persistent volume's DiskInfo as the v1 JSON carries it. */
export interface DiskInfo {
  source?: { type?: string; path?: { root?: string }; mount?: { root?: string }; id?: string; profile?: string; vendor?: string }
  persistence?: { id?: string; principal?: string }
  volume?: { container_path?: string; host_path?: string; mode?: 'RW' | 'RO' }
}

export const diskOf = (r: Resource): DiskInfo | undefined => r.disk as DiskInfo | undefined

export const isDynamicallyReserved = (r: Resource): boolean => {
  const rs = r.reservations
  return !!rs?.length && rs[rs.length - 1]!.type === 'DYNAMIC'
}

export const isPersistentVolume = (r: Resource): boolean => !!diskOf(r)?.persistence

export const hasRefinedReservations = (r: Resource): boolean => (r.reservations?.length ?? 0) > 1

/** Resources the agent checkpoints (upstream needCheckpointing): dynamic reservations and persistent volumes. */
export const needsCheckpointing = (r: Resource): boolean => isDynamicallyReserved(r) || isPersistentVolume(r)

/** Whether `child` is a strict descendant of `parent` (`a/b` of `a`). */
export const isStrictSubroleOf = (child: string, parent: string): boolean =>
  child.length > parent.length && child.startsWith(parent) && child.charCodeAt(parent.length) === 47 /* '/' */

/**
 * The format checks of upstream Resources::validate(Resource) that meso's arithmetic (core/resources.ts
 * validateResources) does not make: reservation format (both forms), refinement order, DiskInfo only on `disk`.
 */
export function resourceFormatError(r: Resource): string | undefined {
  if (r.disk && r.name !== 'disk') return `DiskInfo should not be set for ${r.name} resource`
  const rs = r.reservations ?? []
  if (!rs.length) {
    const role = r.role ?? '*'
    const err = roleError(role)
    if (err) return err
    if (r.reservation) {
      if (r.reservation.type !== undefined) return "'Resource.ReservationInfo.type' must not be set for the 'Resource.reservation' field"
      if (r.reservation.role !== undefined) return "'Resource.ReservationInfo.role' must not be set for the 'Resource.reservation' field"
      if (role === '*') return 'Invalid reservation: role "*" cannot be dynamically reserved'
    }
    return undefined
  }
  for (const res of rs) {
    if (res.type === undefined || res.type === 'UNKNOWN') return "Invalid reservation: 'Resource.ReservationInfo.type' field must be set."
    if (res.role === undefined) return "Invalid reservation: 'Resource.ReservationInfo.role' field must be set."
    const err = roleError(res.role)
    if (err) return err
    if (res.role === '*') return 'Invalid reservation: role "*" cannot be reserved'
  }
  let ancestor = rs[0]!.role!
  for (const res of rs.slice(1)) {
    if (res.type === 'STATIC') return 'Invalid refined reservation: A refined reservation cannot be STATIC'
    if (!isStrictSubroleOf(res.role!, ancestor)) return `Invalid refined reservation: role '${res.role}' is not a refinement of '${ancestor}'`
    ancestor = res.role!
  }
  if (rs.length === 1) {
    const only = rs[0]!
    if (r.role !== undefined && r.role !== only.role) {
      return `Invalid resource format: 'Resource.role' field with '${r.role}' does not match the role '${only.role}' in 'Resource.reservations'`
    }
    if (only.type === 'STATIC' && r.reservation) {
      return "Invalid resource format: 'Resource.reservation' must not be set if the single reservation in 'Resource.reservations' is STATIC"
    }
    if (only.type === 'DYNAMIC' && (r.role !== undefined) !== (r.reservation !== undefined)) {
      return "Invalid resource format: 'Resource.role' and 'Resource.reservation' must either be both set or both not set if the single reservation in 'Resource.reservations' is DYNAMIC"
    }
  } else if (r.role !== undefined || r.reservation !== undefined) {
    return "Invalid resource format: 'Resource.role' and 'Resource.reservation' must not be set if 'Resource.reservations' contains more than one reservation"
  }
  return undefined
}

/**
 * Post-refinement form of a resource in either form (upstream upgradeResource / convertResourceFormat
 * POST_RESERVATION_REFINEMENT), in the canonical key order core/resources.ts keeps. Check `resourceFormatError` first.
 */
export const upgradeResource = (r: Resource): Resource => normalizeResource(r)

export function upgradeResources(list: readonly Resource[] | undefined): Resource[] {
  return (list ?? []).map(upgradeResource)
}

/**
 * Pre-refinement form for a framework or agent without RESERVATION_REFINEMENT (upstream downgradeResource):
 * `role` (`*` when unreserved) and, for a dynamic reservation, `reservation`. A refined reservation has no such
 * form: the error says so.
 */
export function downgradeResource(r: Resource): Resource | { error: string } {
  if (hasRefinedReservations(r)) return { error: 'Cannot downgrade resources containing refined reservations' }
  const out: Resource = { ...r }
  delete out.reservations
  const only = r.reservations?.[0]
  if (!only) { out.role = '*'; return out }
  out.role = only.role ?? '*'
  if (only.type === 'DYNAMIC') {
    const res: ReservationInfo = {}
    if (only.principal !== undefined) res.principal = only.principal
    if (only.labels !== undefined) res.labels = only.labels
    out.reservation = res
  }
  return out
}

/** The resource without its top reservation (upstream Resources::popReservation). */
export function popReservation(r: Resource): Resource {
  const out: Resource = { ...r }
  const rs = (r.reservations ?? []).slice(0, -1)
  if (rs.length) out.reservations = rs
  else delete out.reservations
  return out
}

/** The disk a persistent volume was made of: without persistence and volume (and `shared`). */
export function stripPersistentVolume(r: Resource): Resource {
  const out: Resource = { ...r }
  const disk = diskOf(r)
  if (disk?.source) out.disk = { source: disk.source }
  else delete out.disk
  delete out.shared
  return out
}

// ---- Mesos' text form (operator<< in src/common/resources.cpp), used in error messages ----------------------

function formatLabels(labels: ReservationInfo['labels']): string {
  return `{${(labels?.labels ?? []).map(l => (l.value !== undefined ? `${l.key}: ${l.value}` : l.key)).join(', ')}}`
}

function formatReservation(res: ReservationInfo): string {
  let s = `${res.type ?? 'UNKNOWN'},${res.role ?? ''}`
  if (res.principal !== undefined) s += `,${res.principal}`
  if (res.labels !== undefined) s += `,${formatLabels(res.labels)}`
  return s
}

function formatDisk(d: DiskInfo): string {
  let s = ''
  if (d.source) {
    const type = d.source.type ?? 'UNKNOWN'
    const root = type === 'MOUNT' ? d.source.mount?.root : type === 'PATH' ? d.source.path?.root : undefined
    s += type + (d.source.id !== undefined || d.source.profile !== undefined
      ? `(${d.source.vendor ?? ''},${d.source.id ?? ''},${d.source.profile ?? ''})`
      : root !== undefined ? `:${root}` : '')
  }
  if (d.persistence) s += (d.source ? ',' : '') + (d.persistence.id ?? '')
  if (d.volume) {
    let v = d.volume.container_path ?? ''
    if (d.volume.host_path !== undefined) {
      v = `${d.volume.host_path}:${v}`
      if (d.volume.mode) v += d.volume.mode === 'RO' ? ':ro' : ':rw'
    }
    s += `:${v}`
  }
  return s
}

/** One resource as Mesos prints it: `disk(allocated: r)(reservations: [(DYNAMIC,r,p)])[id:/path]:64`. */
export function formatResource(r: Resource): string {
  const post = upgradeResource(r)
  let s = post.name
  if (post.allocation_info) s += `(allocated: ${post.allocation_info.role ?? ''})`
  if (post.reservations?.length) s += `(reservations: [${post.reservations.map(x => `(${formatReservation(x)})`).join(',')}])`
  const disk = diskOf(post)
  if (disk) s += `[${formatDisk(disk)}]`
  if (post.revocable) s += '{REV}'
  if (post.shared) s += '<SHARED>'
  s += ':'
  if (post.type === 'SCALAR') s += String(post.scalar?.value ?? 0)
  else if (post.type === 'RANGES') s += `[${(post.ranges?.range ?? []).map(x => `${x.begin}-${x.end}`).join(', ')}]`
  else if (post.type === 'SET') s += `{${(post.set?.item ?? []).join(', ')}}`
  return s
}

/** A list as Mesos prints Resources: entries joined by `; `. */
export function formatResources(list: readonly Resource[]): string {
  return list.map(formatResource).join('; ')
}

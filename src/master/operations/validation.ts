// Validation of speculative offer operations, worded as upstream src/master/validation.cpp (namespace operation,
// and namespace resource for the checks they share). Operations arrive here upgraded to the post-refinement form
// (conversions.ts upgradeOperation) after `formatError` passed on their raw resources.

import { normalizeResource, ResourceError, Resources, reservationRole, validateResources, type Resource } from '../../core/resources.ts'
import { operationResources, type SpeculativeOperation } from './conversions.ts'
import {
  diskOf, formatResource, hasRefinedReservations, isDynamicallyReserved, isPersistentVolume,
  resourceFormatError, stripPersistentVolume,
} from './resource-format.ts'

/** What validation needs to know of the agent (its capabilities, upstream protobuf::slave::Capabilities). */
export interface AgentCapabilities {
  hierarchicalRole: boolean
  reservationRefinement: boolean
  resizeVolume: boolean
}

export function agentCapabilities(list: readonly string[]): AgentCapabilities {
  return {
    hierarchicalRole: list.includes('HIERARCHICAL_ROLE'),
    reservationRefinement: list.includes('RESERVATION_REFINEMENT'),
    resizeVolume: list.includes('RESIZE_VOLUME'),
  }
}

/** Who asks: a framework over the scheduler API, or an operator (no framework). */
export interface Requester {
  /** The authenticated principal (operator) or FrameworkInfo.principal (framework); undefined: any. */
  principal?: string
  framework?: { id: string; roles: readonly string[] }
}

/** Upstream Resources::validate over a list, before upgrading: arithmetic and format of each resource. */
export function formatError(list: readonly Resource[]): string | undefined {
  for (const r of list) {
    let err = resourceFormatError(r)
    if (!err) {
      try { validateResources([r]) } catch (e) { if (e instanceof ResourceError) err = e.message; else throw e }
    }
    if (!err && r.type === 'RANGES') err = overlappingRangesError(r)
    if (!err && r.type === 'SET' && new Set(r.set?.item ?? []).size !== (r.set?.item ?? []).length) err = 'Invalid set resource: duplicated elements'
    if (err) return `Resource '${formatResource(r)}' is invalid: ${err}`
  }
  return undefined
}

function overlappingRangesError(r: Resource): string | undefined {
  const rs = r.ranges?.range ?? []
  for (let i = 0; i < rs.length; i++) {
    for (let j = i + 1; j < rs.length; j++) {
      if (rs[i]!.begin <= rs[j]!.begin && rs[j]!.begin <= rs[i]!.end) return 'Invalid ranges resource: overlapping ranges'
    }
  }
  return undefined
}

/** The syntactic checks every operation's resources get (upstream validateAndUpgradeResources). */
export function operationFormatError(op: SpeculativeOperation, type: string): string | undefined {
  const field = { RESERVE: 'reserve', UNRESERVE: 'unreserve', CREATE: 'create', DESTROY: 'destroy', GROW_VOLUME: 'grow_volume', SHRINK_VOLUME: 'shrink_volume' }[type]
  if (field && (op as Record<string, unknown>)[field] === undefined) {
    const article = /^[AEIOU]/.test(type) ? 'An' : 'A'
    return `${article} ${type} offer operation must have the Offer.Operation.${field} field set.`
  }
  return formatError(operationResources(op))
}

// ---- resource:: (shared checks) ----------------------------------------------------------------------------------

function diskInfoError(list: readonly Resource[]): string | undefined {
  for (const r of list) {
    const disk = diskOf(r)
    if (!disk) continue
    if (disk.persistence) {
      if (r.revocable) return 'Persistent volumes cannot be created from revocable resources'
      if (reservationRole(r) === '*') return 'Persistent volumes cannot be created from unreserved resources'
      if (!disk.volume) return "Expecting 'volume' to be set for persistent volume"
      if (disk.volume.host_path !== undefined) return "Expecting 'host_path' to be unset for persistent volume"
      const idErr = idError(disk.persistence.id ?? '')
      if (idErr) return `Invalid persistence ID for persistent volume: ${idErr}`
    } else if (disk.volume) {
      return 'Non-persistent volume not supported'
    } else if (!disk.source) {
      return 'DiskInfo is set but empty'
    }
  }
  return undefined
}

/** upstream common::validation::validateID (persistence ids name directories on the agent). */
export function idError(id: string): string | undefined {
  if (!id) return 'ID must not be empty'
  if (id.length > 255) return 'ID must not be greater than 255 characters'
  if (id === '.' || id === '..') return `'${id}' is disallowed`
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f/\\]/.test(id)) return `'${id}' contains invalid characters`
  return undefined
}

/** upstream resource::validate: format, gpus, DiskInfo, ReservationInfo. */
export function resourcesError(list: readonly Resource[]): string | undefined {
  const fmt = formatError(list)
  if (fmt) return `Invalid resources: ${fmt}`
  const gpus = Resources.of(list).scalar('gpus')
  if (Math.trunc(gpus * 1000) % 1000 !== 0) return "Invalid 'gpus' resource: The 'gpus' resource must be an unsigned integer"
  const disk = diskInfoError(list)
  if (disk) return `Invalid DiskInfo: ${disk}`
  for (const r of list) {
    if (isDynamicallyReserved(r) && r.revocable) {
      return `Invalid ReservationInfo: Dynamically reserved resource ${formatResource(r)} cannot be created from revocable resources`
    }
  }
  return undefined
}

function singleProviderError(list: readonly Resource[]): string | undefined {
  const ids = new Set(list.map(r => r.provider_id?.value))
  if (ids.size <= 1) return undefined
  if (ids.has(undefined)) return 'Some resources have a resource provider and some do not'
  return `The resources have multiple resource providers: ${[...ids].join(', ')}`
}

function persistentVolumeError(list: readonly Resource[]): string | undefined {
  for (const v of list) {
    const disk = diskOf(v)
    if (!disk) return `Resource ${formatResource(v)} does not have DiskInfo`
    if (!disk.persistence) return "'persistence' is not set in DiskInfo"
    if (!disk.volume) return "Expecting 'volume' to be set for persistent volume"
    if (disk.volume.mode === 'RO') return 'Read-only persistent volume not supported'
  }
  return undefined
}

function allocatedToSingleRoleError(list: readonly Resource[]): string | undefined {
  let role: string | undefined
  for (const r of list) {
    const mine = r.allocation_info?.role
    if (mine === undefined) return 'The resources are not allocated to a role'
    if (role === undefined) { role = mine; continue }
    if (mine !== role) return `The resources have multiple allocation roles ('${mine}' and '${role}') but only one allocation role is allowed`
  }
  return undefined
}

/** Mesos prints a role set as `{ a, b }`. */
const roleSet = (roles: readonly string[]) => `{ ${[...new Set(roles)].sort().join(', ')} }`

// ---- operation:: ---------------------------------------------------------------------------------------------------

export function validateReserve(op: NonNullable<SpeculativeOperation['reserve']>, who: Requester, caps: AgentCapabilities): string | undefined {
  const resources = op.resources ?? []
  let err = resourcesError(resources)
  if (err) return `Invalid resources: ${err}`
  if (op.source?.length) {
    err = resourcesError(op.source)
    if (err) return `Invalid source: ${err}`
  }
  err = singleProviderError(resources)
  if (err) return `Invalid resources: ${err}`
  for (const r of resources) {
    const role = reservationRole(r)
    if (!isDynamicallyReserved(r)) return `Resource ${formatResource(r)} is not dynamically reserved`
    if (!caps.hierarchicalRole && role.includes('/')) {
      return `Resource ${formatResource(r)} with reservation for hierarchical role '${role}' cannot be reserved on an agent without HIERARCHICAL_ROLE capability`
    }
    if (!caps.reservationRefinement && hasRefinedReservations(r)) {
      return `Resource ${formatResource(r)} with reservation refinement cannot be reserved on an agent without RESERVATION_REFINEMENT capability`
    }
    if (who.principal !== undefined) {
      const top = r.reservations![r.reservations!.length - 1]!
      if (top.principal === undefined) {
        return `A reserve operation was attempted by principal '${who.principal}', but there is a reserved resource in the request with no principal set`
      }
      if (top.principal !== who.principal) {
        return `A reserve operation was attempted by authenticated principal '${who.principal}', which does not match a reserved resource in the request with principal '${top.principal}'`
      }
    }
    if (who.framework) {
      const allocated = r.allocation_info?.role
      if (allocated === undefined) {
        return `A reserve operation was attempted on unallocated resource ${formatResource(r)}, but frameworks can only perform reservations on allocated resources`
      }
      if (allocated !== role) return `A reserve operation was attempted for a resource with role '${role}', but the resource was allocated to role '${allocated}'`
      if (!who.framework.roles.includes(allocated)) {
        return `A reserve operation was attempted for a resource allocated to role '${allocated}', but the framework only has roles '${roleSet(who.framework.roles)}'`
      }
      if (!who.framework.roles.includes(role)) {
        return `A reserve operation was attempted for a resource with role '${role}', but the framework can only reserve resources with roles '${roleSet(who.framework.roles)}'`
      }
    } else if (r.allocation_info) {
      return 'A reserve operation was attempted with an allocated resource, but the operator API only allows reservations to be made to unallocated resources'
    }
  }
  if (who.framework) {
    err = allocatedToSingleRoleError(resources)
    if (err) return `Invalid reservation resources: ${err}`
  }
  return undefined
}

export function validateUnreserve(op: NonNullable<SpeculativeOperation['unreserve']>): string | undefined {
  const resources = op.resources ?? []
  let err = resourcesError(resources)
  if (err) return `Invalid resources: ${err}`
  err = singleProviderError(resources)
  if (err) return `Invalid resources: ${err}`
  // The principal is not compared: who may unreserve whose reservations is the ACLs' question (unreserve_resources).
  for (const r of resources) {
    if (!isDynamicallyReserved(r)) return `Resource ${formatResource(r)} is not dynamically reserved`
    if (isPersistentVolume(r)) {
      return `A dynamically reserved persistent volume ${formatResource(r)} cannot be unreserved directly. Please destroy the persistent volume first then unreserve the resource`
    }
  }
  return undefined
}

/** `checkpointed`: the agent's checkpointed resources (persistence ids must be unique per role on the agent). */
export function validateCreate(op: NonNullable<SpeculativeOperation['create']>, checkpointed: Resources, who: Requester, caps: AgentCapabilities): string | undefined {
  const volumes = op.volumes ?? []
  let err = resourcesError(volumes)
  if (err) return `Invalid resources: ${err}`
  err = singleProviderError(volumes)
  if (err) return `Invalid resources: ${err}`
  err = persistentVolumeError(volumes)
  if (err) return `Not a persistent volume: ${err}`
  const seen = new Map<string, Set<string>>()
  for (const v of [...checkpointed.list, ...volumes]) {
    const id = diskOf(v)?.persistence?.id
    if (id === undefined) continue
    const role = reservationRole(v)
    let ids = seen.get(role)
    if (!ids) seen.set(role, ids = new Set())
    if (ids.has(id)) return `Persistence ID '${id}' is not unique`
    ids.add(id)
  }
  for (const v of volumes) {
    // Shared volumes (SHARED_RESOURCES) need per-task copy accounting meso does not have: refused, not half-done.
    if (v.shared) return `Volume ${formatResource(v)} is shared: shared persistent volumes are not supported by meso`
    const role = reservationRole(v)
    if (!caps.hierarchicalRole && role.includes('/')) {
      return `Volume ${formatResource(v)} with reservation for hierarchical role '${role}' cannot be created on an agent without HIERARCHICAL_ROLE capability`
    }
    if (!caps.reservationRefinement && hasRefinedReservations(v)) {
      return `Volume ${formatResource(v)} with reservation refinement cannot be created on an agent without RESERVATION_REFINEMENT capability`
    }
    if (who.principal !== undefined) {
      const p = diskOf(v)?.persistence?.principal
      if (p === undefined) {
        return `Create volume operation attempted by principal '${who.principal}', but there is a volume in the operation with no principal set in 'disk.persistence'`
      }
      if (p !== who.principal) {
        return `Create volume operation attempted by authenticated principal '${who.principal}', which does not match a volume in the operation with principal '${p}' set in 'disk.persistence'`
      }
    }
  }
  if (who.framework) {
    err = allocatedToSingleRoleError(volumes)
    if (err) return `Invalid volume resources: ${err}`
  }
  return undefined
}

/** `used`: what each framework's tasks and executors use on the agent. */
export function validateDestroy(op: NonNullable<SpeculativeOperation['destroy']>, checkpointed: Resources, used: Iterable<Resources>): string | undefined {
  const volumes = Resources.of(op.volumes ?? []).unallocated()
  let err = resourcesError(volumes.list)
  if (err) return `Invalid resources: ${err}`
  err = singleProviderError(volumes.list)
  if (err) return `Invalid resources: ${err}`
  err = persistentVolumeError(volumes.list)
  if (err) return `Not a persistent volume: ${err}`
  for (const v of volumes.list) {
    if (v.provider_id) continue
    if (!checkpointed.contains(Resources.of([v]))) return 'Persistent volumes not found'
  }
  for (const u of used) {
    const inUse = u.unallocated()
    for (const v of volumes.list) if (inUse.contains(Resources.of([v]))) return 'Persistent volumes in use'
  }
  return undefined
}

export function validateGrowVolume(op: NonNullable<SpeculativeOperation['grow_volume']>, caps: AgentCapabilities): string | undefined {
  const { volume, addition } = op
  if (!volume) return "Invalid resource in the 'GrowVolume.volume' field: missing"
  if (!addition) return "Invalid resource in the 'GrowVolume.addition' field: missing"
  let err = formatError([volume])
  if (err) return `Invalid resource in the 'GrowVolume.volume' field: ${err}`
  err = formatError([addition])
  if (err) return `Invalid resource in the 'GrowVolume.addition' field: ${err}`
  if (!(Math.round((addition.scalar?.value ?? 0) * 1000) > 0)) return "The size of 'GrowVolume.addition' field must be greater than zero"
  if (volume.provider_id) return 'Growing a volume from a resource provider is not supported'
  err = persistentVolumeError([volume])
  if (err) return `Invalid persistent volume in the 'GrowVolume.volume' field: ${err}`
  if (volume.shared) return 'Growing a shared persistent volume is not supported'
  const merged = Resources.of([stripPersistentVolume(volume), addition]).unallocated()
  if (merged.list.length !== 1) return "Incompatible resources in the 'GrowVolume.volume' and 'GrowVolume.addition' fields"
  if (!caps.resizeVolume) return `Volume ${formatResource(volume)} cannot be grown on an agent without RESIZE_VOLUME capability`
  return undefined
}

export function validateShrinkVolume(op: NonNullable<SpeculativeOperation['shrink_volume']>, caps: AgentCapabilities): string | undefined {
  const { volume } = op
  if (!volume) return "Invalid resource in the 'ShrinkVolume.volume' field: missing"
  let err = formatError([volume])
  if (err) return `Invalid resource in the 'ShrinkVolume.volume' field: ${err}`
  const subtract = Math.round((op.subtract?.value ?? 0) * 1000)
  if (!(subtract > 0)) return "Value of 'ShrinkVolume.subtract' must be greater than zero"
  if (Math.round((volume.scalar?.value ?? 0) * 1000) <= subtract) return "Value of 'ShrinkVolume.subtract' must be smaller than the size of 'ShrinkVolume.volume'"
  if (volume.provider_id) return 'Shrinking a volume from a resource provider is not supported'
  if (diskOf(volume)?.source?.type === 'MOUNT') return 'Shrinking a volume on a MOUNT disk is not supported'
  err = persistentVolumeError([volume])
  if (err) return `Invalid persistent volume in the 'ShrinkVolume.volume' field: ${err}`
  if (volume.shared) return 'Shrinking a shared persistent volume is not supported'
  if (!caps.resizeVolume) return `Volume ${formatResource(volume)} cannot be shrunk on an agent without RESIZE_VOLUME capability`
  return undefined
}

/** Dispatch by type; `checkpointed` and `used` are the agent's. */
export function validateOperation(
  op: SpeculativeOperation, type: string, ctx: { who: Requester; caps: AgentCapabilities; checkpointed: Resources; used: () => Iterable<Resources> },
): string | undefined {
  switch (type) {
    case 'RESERVE': return validateReserve(op.reserve ?? {}, ctx.who, ctx.caps)
    case 'UNRESERVE': return validateUnreserve(op.unreserve ?? {})
    case 'CREATE': return validateCreate(op.create ?? {}, ctx.checkpointed, ctx.who, ctx.caps)
    case 'DESTROY': return validateDestroy(op.destroy ?? {}, ctx.checkpointed, ctx.used())
    case 'GROW_VOLUME': return validateGrowVolume(op.grow_volume ?? {}, ctx.caps)
    case 'SHRINK_VOLUME': return validateShrinkVolume(op.shrink_volume ?? {}, ctx.caps)
    default: return `Unsupported operation ${type}`
  }
}

/**
 * The persistent-volume and reservation checks of upstream task validation (task::internal::validateResources) that
 * the general task checks (validation/task.ts) do not make. Only resources with DiskInfo or reservations are looked
 * at: plain `cpus:0.1;mem:32` tasks pay nothing.
 */
export function taskVolumeError(resources: readonly Resource[] | undefined): string | undefined {
  const list = resources ?? []
  if (!list.some(r => r.disk || r.reservations?.length || r.reservation || (r.role !== undefined && r.role !== '*'))) return undefined
  const err = resourcesError(list)
  if (err) return `Task uses invalid resources: ${err}`
  const ids = new Map<string, Set<string>>()
  // Entry by entry, unmerged: two copies of one volume are a duplicate, not a bigger volume.
  for (const r of list.map(normalizeResource)) {
    const id = diskOf(r)?.persistence?.id
    if (id === undefined) continue
    if (r.shared) return `Task uses shared persistent volume ${formatResource(r)}: shared persistent volumes are not supported by meso`
    const role = reservationRole(r)
    let set = ids.get(role)
    if (!set) ids.set(role, set = new Set())
    if (set.has(id)) return `Task uses duplicate persistence ID: Persistence ID '${id}' is not unique`
    set.add(id)
  }
  return undefined
}

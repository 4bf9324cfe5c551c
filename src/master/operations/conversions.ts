// What a speculative offer operation does to resources: each RESERVE, UNRESERVE, CREATE, DESTROY, GROW_VOLUME and
// SHRINK_VOLUME becomes conversions (consume these, produce those), applied in order to an offer's remaining
// resources or an agent's total. Upstream: getResourceConversions (src/common/resources_utils.cpp),
// ResourceConversion::apply and applyCheckpointedResources.

import { Resources, type Resource } from '../../core/resources.ts'
import type { OfferOperation } from '../../core/v1/messages.ts'
import {
  formatResource, formatResources, isDynamicallyReserved, isPersistentVolume, needsCheckpointing, popReservation,
  stripPersistentVolume, upgradeResource,
} from './resource-format.ts'

/** An offer operation with the volume-resize fields the shared OfferOperation type does not list. */
export type SpeculativeOperation = OfferOperation & {
  grow_volume?: { volume?: Resource; addition?: Resource }
  shrink_volume?: { volume?: Resource; subtract?: { value: number } }
}

export type SpeculativeType = 'RESERVE' | 'UNRESERVE' | 'CREATE' | 'DESTROY' | 'GROW_VOLUME' | 'SHRINK_VOLUME'

export const SPECULATIVE_TYPES: ReadonlySet<string> = new Set<SpeculativeType>(['RESERVE', 'UNRESERVE', 'CREATE', 'DESTROY', 'GROW_VOLUME', 'SHRINK_VOLUME'])

export interface Conversion {
  consumed: Resources
  converted: Resources
  /** Checked on the result (upstream ResourceConversion::postValidation). */
  postValidation?: (result: Resources) => string | undefined
}

/** The operation's type, also for clients that leave `type` out and only set the matching field. */
export function operationType(op: SpeculativeOperation): string {
  if (op.type) return op.type
  if (op.launch) return 'LAUNCH'
  if (op.launch_group) return 'LAUNCH_GROUP'
  if (op.reserve) return 'RESERVE'
  if (op.unreserve) return 'UNRESERVE'
  if (op.create) return 'CREATE'
  if (op.destroy) return 'DESTROY'
  if (op.grow_volume) return 'GROW_VOLUME'
  if (op.shrink_volume) return 'SHRINK_VOLUME'
  return 'UNKNOWN'
}

const bag = (list: readonly Resource[]) => Resources.of(list)

/**
 * The conversions of a speculative operation whose resources are already upgraded to the post-refinement form
 * (`upgradeOperation`). They carry the operation's allocation info, if any: `stampConversions` re-stamps them for
 * an offer's resources or strips it for an agent's total.
 */
export function conversionsOf(op: SpeculativeOperation): Conversion[] | { error: string } {
  switch (operationType(op)) {
    case 'RESERVE': {
      const reserved = op.reserve?.resources ?? []
      if (op.reserve?.source?.length) return { error: 'Reservation updates are not supported' }
      return [{ consumed: bag(reserved.map(popReservation)), converted: bag(reserved) }]
    }
    case 'UNRESERVE':
      // One reservation popped at a time, resource by resource.
      return (op.unreserve?.resources ?? []).map(r => ({ consumed: bag([r]), converted: bag([popReservation(r)]) }))
    case 'CREATE':
      return (op.create?.volumes ?? []).map(v => ({ consumed: bag([stripPersistentVolume(v)]), converted: bag([v]) }))
    case 'DESTROY':
      return (op.destroy?.volumes ?? []).map(v => ({
        consumed: bag([v]),
        converted: bag([stripPersistentVolume(v)]),
        postValidation: result => (result.contains(bag([v])) ? `Persistent volume ${formatResource(v)} cannot be removed due to additional shared copies` : undefined),
      }))
    case 'GROW_VOLUME': {
      const volume = op.grow_volume?.volume
      const addition = op.grow_volume?.addition
      if (!volume || !addition) return { error: 'GROW_VOLUME needs a volume and an addition' }
      if (volume.provider_id) return { error: 'Operation not supported for resource provider' }
      const grown: Resource = { ...volume, scalar: { value: (volume.scalar?.value ?? 0) + (addition.scalar?.value ?? 0) } }
      return [{ consumed: bag([volume, addition]), converted: bag([grown]) }]
    }
    case 'SHRINK_VOLUME': {
      const volume = op.shrink_volume?.volume
      const subtract = op.shrink_volume?.subtract?.value ?? 0
      if (!volume) return { error: 'SHRINK_VOLUME needs a volume' }
      if (volume.provider_id) return { error: 'Operation not supported for resource provider' }
      const freed: Resource = { ...stripPersistentVolume(volume), scalar: { value: subtract } }
      const shrunk: Resource = { ...volume, scalar: { value: (volume.scalar?.value ?? 0) - subtract } }
      return [{ consumed: bag([volume]), converted: bag([shrunk, freed]) }]
    }
    case 'UNKNOWN': return { error: 'Unknown operation' }
    default: return { error: 'Operation not supported' }
  }
}

/** Applies conversions in order (upstream Resources::apply): each must find what it consumes. */
export function applyConversions(resources: Resources, conversions: readonly Conversion[]): Resources | { error: string } {
  let result = resources
  for (const c of conversions) {
    if (!result.contains(c.consumed)) return { error: `${formatResources(result.list)} does not contain ${formatResources(c.consumed.list)}` }
    result = result.minus(c.consumed).plus(c.converted)
    const bad = c.postValidation?.(result)
    if (bad) return { error: bad }
  }
  return result
}

/** The same conversions for resources stamped as allocated to `role` (an offer's), or unstamped (an agent's total). */
export function stampConversions(conversions: readonly Conversion[], role: string | undefined): Conversion[] {
  return conversions.map(c => ({
    ...c,
    consumed: role === undefined ? c.consumed.unallocated() : c.consumed.allocatedTo(role),
    converted: role === undefined ? c.converted.unallocated() : c.converted.allocatedTo(role),
  }))
}

/** The resources of a speculative operation, upgraded to the post-refinement form (upstream upgradeResources). */
export function upgradeOperation(op: SpeculativeOperation): SpeculativeOperation {
  const out: SpeculativeOperation = { ...op }
  if (op.reserve) {
    out.reserve = { resources: (op.reserve.resources ?? []).map(upgradeResource) }
    if (op.reserve.source?.length) out.reserve.source = op.reserve.source.map(upgradeResource)
  }
  if (op.unreserve) out.unreserve = { resources: (op.unreserve.resources ?? []).map(upgradeResource) }
  if (op.create) out.create = { volumes: (op.create.volumes ?? []).map(upgradeResource) }
  if (op.destroy) out.destroy = { volumes: (op.destroy.volumes ?? []).map(upgradeResource) }
  if (op.grow_volume) {
    out.grow_volume = {
      ...(op.grow_volume.volume ? { volume: upgradeResource(op.grow_volume.volume) } : {}),
      ...(op.grow_volume.addition ? { addition: upgradeResource(op.grow_volume.addition) } : {}),
    }
  }
  if (op.shrink_volume) {
    out.shrink_volume = { ...op.shrink_volume, ...(op.shrink_volume.volume ? { volume: upgradeResource(op.shrink_volume.volume) } : {}) }
  }
  return out
}

/**
 * Stamps the offer's allocation role on every resource of the operation that has none (upstream
 * injectAllocationInfo): frameworks without MULTI_ROLE never set it.
 */
export function injectAllocationInfo(op: SpeculativeOperation, role: string): SpeculativeOperation {
  const stamp = (r: Resource): Resource => (r.allocation_info ? r : { ...r, allocation_info: { role } })
  const out: SpeculativeOperation = { ...op }
  if (op.reserve) out.reserve = { ...op.reserve, resources: (op.reserve.resources ?? []).map(stamp) }
  if (op.unreserve) out.unreserve = { resources: (op.unreserve.resources ?? []).map(stamp) }
  if (op.create) out.create = { volumes: (op.create.volumes ?? []).map(stamp) }
  if (op.destroy) out.destroy = { volumes: (op.destroy.volumes ?? []).map(stamp) }
  if (op.grow_volume) {
    out.grow_volume = {
      ...(op.grow_volume.volume ? { volume: stamp(op.grow_volume.volume) } : {}),
      ...(op.grow_volume.addition ? { addition: stamp(op.grow_volume.addition) } : {}),
    }
  }
  if (op.shrink_volume) out.shrink_volume = { ...op.shrink_volume, ...(op.shrink_volume.volume ? { volume: stamp(op.shrink_volume.volume) } : {}) }
  return out
}

/** Every resource an operation names, for format validation (upstream validateAndUpgradeResources). */
export function operationResources(op: SpeculativeOperation): Resource[] {
  return [
    ...(op.reserve?.resources ?? []), ...(op.reserve?.source ?? []), ...(op.unreserve?.resources ?? []),
    ...(op.create?.volumes ?? []), ...(op.destroy?.volumes ?? []),
    ...(op.grow_volume?.volume ? [op.grow_volume.volume] : []), ...(op.grow_volume?.addition ? [op.grow_volume.addition] : []),
    ...(op.shrink_volume?.volume ? [op.shrink_volume.volume] : []),
  ]
}

/** The part of an agent's total that it checkpoints: dynamic reservations and persistent volumes. */
export function checkpointedPart(total: Resources): Resources {
  return total.filter(needsCheckpointing)
}

/**
 * An agent's total: its static resources (`--resources`, unreserved or statically reserved) with its checkpointed
 * dynamic reservations and persistent volumes applied (upstream applyCheckpointedResources): each checkpointed
 * resource replaces the static resource it was made of.
 */
export function applyCheckpointedResources(staticResources: Resources, checkpointed: Resources): Resources | { error: string } {
  let total = staticResources
  for (const r of checkpointed.list) {
    if (!needsCheckpointing(r)) return { error: `Unexpected checkpointed resources ${formatResource(r)}` }
    let stripped: Resource = { ...r }
    if (isDynamicallyReserved(r)) {
      // Only the agent's own static reservation (the bottom one) can come from --resources.
      const bottom = r.reservations![0]!
      if (bottom.type === 'STATIC') stripped.reservations = [bottom]
      else delete stripped.reservations
    }
    if (isPersistentVolume(r)) stripped = stripPersistentVolume(stripped)
    delete stripped.shared
    const one = bag([stripped])
    if (!total.contains(one)) return { error: `Incompatible agent resources: ${formatResources(total.list)} does not contain ${formatResource(stripped)}` }
    total = total.minus(one).plus(bag([r]))
  }
  return total
}

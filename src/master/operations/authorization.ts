// Which ACL each speculative operation of a framework needs (upstream ActionObject::reserve, unreserve,
// createVolume, destroyVolume, growVolume, shrinkVolume), with the objects the operator API asks about for the same
// calls (operator-api.ts): the reservation role for reserve / create / resize, the resource for unreserve / destroy.

import { approver, type Action, type AuthzObject } from '../../core/authz/authorizer.ts'
import type { Acls } from '../../core/authz/acls.ts'
import { reservationRole } from '../../core/resources.ts'
import type { FrameworkInfo } from '../../core/v1/messages.ts'
import type { OperationAuthorization } from './accept.ts'
import type { SpeculativeOperation } from './conversions.ts'

const ACTIONS: Record<string, { action: Action; verb: string }> = {
  RESERVE: { action: 'RESERVE_RESOURCES', verb: 'reserve resources' },
  UNRESERVE: { action: 'UNRESERVE_RESOURCES', verb: 'unreserve resources' },
  CREATE: { action: 'CREATE_VOLUME', verb: 'create volumes' },
  DESTROY: { action: 'DESTROY_VOLUME', verb: 'destroy volumes' },
  GROW_VOLUME: { action: 'RESIZE_VOLUME', verb: 'grow volumes' },
  SHRINK_VOLUME: { action: 'RESIZE_VOLUME', verb: 'shrink volumes' },
}

/** The objects an operation is authorized on, one per resource (every one must be allowed). */
export function authzObjects(type: string, op: SpeculativeOperation): AuthzObject[] {
  switch (type) {
    case 'RESERVE': return (op.reserve?.resources ?? []).map(r => ({ value: reservationRole(r), resource: r }))
    case 'UNRESERVE': return (op.unreserve?.resources ?? []).map(r => ({ resource: r }))
    case 'CREATE': return (op.create?.volumes ?? []).map(r => ({ value: reservationRole(r), resource: r }))
    case 'DESTROY': return (op.destroy?.volumes ?? []).map(r => ({ resource: r }))
    case 'GROW_VOLUME': return op.grow_volume?.volume ? [{ value: reservationRole(op.grow_volume.volume), resource: op.grow_volume.volume }] : []
    case 'SHRINK_VOLUME': return op.shrink_volume?.volume ? [{ value: reservationRole(op.shrink_volume.volume), resource: op.shrink_volume.volume }] : []
    default: return []
  }
}

/** A framework's operations, authorized with its principal as the subject (as its tasks are). */
export function operationAuthorization(acls: Acls, info: FrameworkInfo): OperationAuthorization {
  const subject = info.principal !== undefined ? { value: info.principal } : undefined
  return (type, op) => {
    const a = ACTIONS[type]
    if (!a) return undefined
    const allowed = approver(acls, subject, a.action)
    for (const o of authzObjects(type, op)) {
      if (!allowed(o)) return `Principal '${info.principal ?? ''}' is not authorized to ${a.verb}${o.value !== undefined ? ` for role '${o.value}'` : ''}`
    }
    return undefined
  }
}

// Which resources a role may be offered: unreserved ones, those reserved for the role itself, and (Mesos'
// hierarchical roles, `Resources::isAllocatableTo`) those reserved for one of its ancestors: `a/b` may use what is
// reserved for `a`. Never what is reserved for a sibling, a child or an unrelated role.

import { reservationRole, type Resource } from '../../core/resources.ts'

export function isAllocatableTo(resource: Resource, role: string): boolean {
  const reserved = reservationRole(resource)
  return reserved === '*' || reserved === role || (role.length > reserved.length && role.startsWith(reserved) &&
    role.charCodeAt(reserved.length) === 47 /* '/' */)
}

export function isReserved(resource: Resource): boolean {
  return reservationRole(resource) !== '*'
}

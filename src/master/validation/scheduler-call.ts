// Validation of scheduler Calls, in Mesos' two stages:
//
// - `validateSchedulerCall`: structural checks before any state is consulted (upstream
//   validation::scheduler::call::validate); a failure is a 400 `Failed to validate scheduler::Call: …`. meso's bounds
//   on FrameworkInfo's free text (fields.ts) are checked here too, so an oversized request is refused before the
//   master keeps or logs any of it.
// - `frameworkInfoError`, `frameworkUpdateError`, `suppressedRolesError`: the FrameworkInfo checks upstream makes in
//   Master::subscribe / Master::updateFramework (validation::framework::validate, validateUpdate,
//   validateSuppressedRoles). A refused SUBSCRIBE hears them as an ERROR event on its stream; UPDATE_FRAMEWORK as a 400.
// Messages are upstream's (src/master/validation.cpp, src/master/master.cpp).

import { roleError } from '../../core/roles.ts'
import type { FrameworkInfo } from '../../core/v1/messages.ts'
import { hasCapability } from '../../core/v1/messages.ts'
import { frameworkInfoFieldsError } from './fields.ts'

const NEEDS: Record<string, string> = {
  SUBSCRIBE: 'subscribe', ACCEPT: 'accept', DECLINE: 'decline', ACCEPT_INVERSE_OFFERS: 'accept_inverse_offers',
  DECLINE_INVERSE_OFFERS: 'decline_inverse_offers', KILL: 'kill', SHUTDOWN: 'shutdown', ACKNOWLEDGE: 'acknowledge',
  ACKNOWLEDGE_OPERATION_STATUS: 'acknowledge_operation_status', RECONCILE: 'reconcile', MESSAGE: 'message',
  REQUEST: 'request', UPDATE_FRAMEWORK: 'update_framework',
}

export function validateSchedulerCall(call: any): string | undefined {
  if (!call.type) return "Expecting 'type' to be present"
  const sub = NEEDS[call.type]
  if (sub && call[sub] === undefined) return `Expecting '${sub}' to be present`
  if (call.type === 'SUBSCRIBE') {
    const info = call.subscribe.framework_info as FrameworkInfo
    // Upstream also refuses a framework_info.id without framework_id; meso accepts it (older clients, and meso's own
    // tests, re-subscribe with the id in FrameworkInfo alone) and only refuses two different ids.
    if (call.framework_id && info.id && call.framework_id.value !== info.id.value) {
      return "'framework_id' differs from 'subscribe.framework_info.id'"
    }
    return frameworkInfoFieldsError(info)
  }
  if (!call.framework_id) return "Expecting 'framework_id' to be present"
  if (call.type === 'ACKNOWLEDGE') {
    const bytes = Buffer.from(call.acknowledge.uuid, 'base64')
    if (bytes.length !== 16) return `Invalid UUID in 'acknowledge.uuid': expected 16 bytes, got ${bytes.length}`
  }
  if (call.type === 'UPDATE_FRAMEWORK') {
    const info = call.update_framework.framework_info as FrameworkInfo
    const fieldErr = frameworkInfoFieldsError(info)
    if (fieldErr) return fieldErr
    if (call.framework_id.value !== info.id?.value) return "'framework_id' differs from 'update_framework.framework_info.id'"
  }
  return undefined
}

/** The roles a FrameworkInfo asks for (its `role`, default `*`, unless MULTI_ROLE). */
export function frameworkRoleList(info: FrameworkInfo): string[] {
  return hasCapability(info, 'MULTI_ROLE') ? info.roles ?? [] : [info.role ?? '*']
}

/** stout's stringify of a std::set<string>: `{ a, b }`, sorted. */
const setText = (items: Iterable<string>) => `{ ${[...new Set(items)].sort().join(', ')} }`

/** upstream validation::framework::validate plus Master::validateFramework's whitelist check. */
export function frameworkInfoError(info: FrameworkInfo, opts: { roleWhitelist?: readonly string[] } = {}): string | undefined {
  const multi = hasCapability(info, 'MULTI_ROLE')
  if (multi && info.role !== undefined) return "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"
  if (!multi && info.roles?.length) return "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
  const roles = frameworkRoleList(info)
  if (multi) {
    const seen = new Set<string>()
    const dup = roles.filter(r => (seen.has(r) ? true : (seen.add(r), false)))
    if (dup.length) return `'FrameworkInfo.roles' contains duplicate items: ${setText(dup)}`
    for (const r of roles) {
      const e = roleError(r)
      if (e) return `'FrameworkInfo.roles' contains invalid role: ${e}`
    }
  } else {
    const e = roleError(roles[0]!)
    if (e) return `'FrameworkInfo.role' is not a valid role: ${e}`
  }
  // Duration::create: any value whose nanoseconds fit an int64 (a negative timeout acts as 0).
  if (info.failover_timeout !== undefined && !(Number.isFinite(info.failover_timeout) && Math.abs(info.failover_timeout) <= 9.2e9)) {
    return `The framework failover_timeout (${info.failover_timeout}) is invalid`
  }
  if (opts.roleWhitelist) {
    const invalid = roles.filter(r => r !== '*' && !opts.roleWhitelist!.includes(r))
    if (invalid.length) return `Roles ${setText(invalid)} are not present in the master's --roles`
  }
  return undefined
}

/** upstream validation::framework::validateUpdate: what a known framework may not change. */
export function frameworkUpdateError(old: FrameworkInfo, next: FrameworkInfo): string | undefined {
  if ((old.principal ?? undefined) !== (next.principal ?? undefined)) return "Changing framework's principal is not allowed."
  if (next.user !== old.user) return `Updating 'FrameworkInfo.user' is unsupported; attempted to update from '${old.user}' to '${next.user}'`
  if ((next.checkpoint ?? false) !== (old.checkpoint ?? false)) {
    return `Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '${old.checkpoint ?? false}' to '${next.checkpoint ?? false}'`
  }
  return undefined
}

/** upstream validation::framework::validateSuppressedRoles. */
export function suppressedRolesError(info: FrameworkInfo, suppressed: readonly string[]): string | undefined {
  const roles = new Set(frameworkRoleList(info))
  const invalid = suppressed.filter(r => !roles.has(r))
  return invalid.length ? `Suppressed roles ${setText(invalid)} are not contained in the set of roles` : undefined
}

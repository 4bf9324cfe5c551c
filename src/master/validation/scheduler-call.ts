// Structural validation of scheduler Calls, before any state is consulted (Mesos validates first, then looks up
// the framework, then checks the stream id). Messages follow Mesos' wording.

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
    if (call.framework_id && info.id && call.framework_id.value !== info.id.value) {
      return "'framework_id' differs from 'subscribe.framework_info.id'"
    }
    const err = validateFrameworkInfo(info)
    if (err) return err
    for (const r of call.subscribe.suppressed_roles ?? []) {
      if (!frameworkRoleList(info).includes(r)) return `Suppressed role '${r}' is not contained in the list of roles`
    }
    return undefined
  }
  if (!call.framework_id) return "Expecting 'framework_id' to be present"
  if (call.type === 'ACKNOWLEDGE') {
    const bytes = Buffer.from(call.acknowledge.uuid, 'base64')
    if (bytes.length !== 16) return `Invalid UUID in 'acknowledge.uuid': expected 16 bytes, got ${bytes.length}`
  }
  if (call.type === 'UPDATE_FRAMEWORK') return validateFrameworkInfo(call.update_framework.framework_info)
  return undefined
}

function frameworkRoleList(info: FrameworkInfo): string[] {
  return hasCapability(info, 'MULTI_ROLE') ? info.roles ?? [] : [info.role ?? '*']
}

export function validateFrameworkInfo(info: FrameworkInfo): string | undefined {
  const fieldErr = frameworkInfoFieldsError(info)
  if (fieldErr) return fieldErr
  const multi = hasCapability(info, 'MULTI_ROLE')
  if (multi && info.role !== undefined) return "'FrameworkInfo.role' must not be set when 'MULTI_ROLE' capability is enabled"
  if (!multi && info.roles?.length) return "'FrameworkInfo.roles' must not be set when 'MULTI_ROLE' capability is not enabled"
  const roles = frameworkRoleList(info)
  if (new Set(roles).size !== roles.length) return "'FrameworkInfo.roles' contains duplicate items"
  for (const r of roles) {
    const e = roleError(r)
    if (e) return e
  }
  if (info.failover_timeout !== undefined && !(info.failover_timeout >= 0)) return "'FrameworkInfo.failover_timeout' must be non-negative"
  return undefined
}

// Validation of quota requests, with upstream's messages (src/master/quota.cpp `validate(QuotaConfig)` and
// `validation::quotaInfo`, src/master/quota_handler.cpp): pure functions that return what is wrong, or undefined.

import { roleError } from '../../core/roles.ts'
import { formatQuantities } from './config.ts'
import { containsQuantities, withinLimits } from '../allocator/quota.ts'

/** Upstream caps mem and disk at 1 exabyte (in MB) and everything else at a trillion, below its fixed-point overflow. */
export const MAX_MEGABYTES = 1024 * 1024 * 1024 * 1024
export const MAX_OTHER = 1000 * 1000 * 1000 * 1000

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** `{ cpus: 1, mem: 1024 }`, as upstream prints a protobuf map of scalars. */
function formatScalarMap(m: Record<string, unknown>): string {
  const entries = Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return entries.length ? `{ ${entries.map(([k, v]) => `${k}: ${scalarValue(v)}`).join(', ')} }` : '{ }'
}

function scalarValue(v: unknown): unknown {
  return isObject(v) ? v.value : v
}

/** common/validation.cpp `validateInputScalarValue`. */
function scalarError(value: unknown): string | undefined {
  if (typeof value !== 'number') return `Expecting a number, got ${JSON.stringify(value)}`
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN not supported' : 'Infinite values not supported'
  if (value < 0) return 'Negative values not supported'
  return undefined
}

function tooLarge(m: Record<string, unknown>): string | undefined {
  for (const [name, s] of Object.entries(m)) {
    const v = Number(scalarValue(s))
    if (name === 'mem' || name === 'disk') {
      if (v > MAX_MEGABYTES) return `{'${name}': ${v}} is invalid: values greater than 1 exabyte (${MAX_MEGABYTES}) are not supported`
    } else if (v > MAX_OTHER) {
      return `{'${name}': ${v}} is invalid: values greater than 1 trillion (${MAX_OTHER}) are not supported`
    }
  }
  return undefined
}

const toNumbers = (m: Record<string, unknown>) => new Map(Object.entries(m).map(([k, v]) => [k, Number(scalarValue(v))]))

/**
 * One QuotaConfig of UPDATE_QUOTA (upstream `quota::validate`), without the `Invalid QuotaConfig: ` prefix the
 * handler adds.
 */
export function quotaConfigError(config: unknown): string | undefined {
  if (!isObject(config) || typeof config.role !== 'string' || config.role === '') return "'QuotaConfig.role' must be set"
  const roleErr = roleError(config.role)
  if (roleErr) return `Invalid 'QuotaConfig.role': ${roleErr}`
  for (const key of ['guarantees', 'limits'] as const) {
    if (config[key] !== undefined && !isObject(config[key])) return `'QuotaConfig.${key}' must be a map of resource names to scalars`
  }
  const guarantees = (config.guarantees ?? {}) as Record<string, unknown>
  const limits = (config.limits ?? {}) as Record<string, unknown>
  const big = tooLarge(guarantees)
  if (big) return `Invalid 'QuotaConfig.guarantees': ${big}`
  const bigLimit = tooLarge(limits)
  if (bigLimit) return `Invalid 'QuotaConfig.limits': ${bigLimit}`
  for (const [name, s] of Object.entries(guarantees)) {
    const err = scalarError(scalarValue(s))
    if (err) return `Invalid guarantee configuration {'${name}': ${JSON.stringify(scalarValue(s))}}: ${err}`
  }
  for (const [name, s] of Object.entries(limits)) {
    const err = scalarError(scalarValue(s))
    if (err) return `Invalid limit configuration {'${name}': ${JSON.stringify(scalarValue(s))}}: ${err}`
  }
  if (!withinLimits(toNumbers(limits), toNumbers(guarantees))) {
    return `'QuotaConfig.guarantees' ${formatScalarMap(guarantees)} is not contained within the 'QuotaConfig.limits' ${formatScalarMap(limits)}`
  }
  return undefined
}

/**
 * The legacy QuotaRequest of SET_QUOTA and `POST /quota` (upstream `Resources::validate` on the guarantee, then
 * `validation::quotaInfo`), as the whole 400 message.
 */
export function quotaRequestError(request: unknown): string | undefined {
  const fail = (why: string) => `Failed to validate set quota request: ${why}`
  if (!isObject(request)) return fail('QuotaInfo must specify a role')
  const guarantee = request.guarantee ?? []
  if (!Array.isArray(guarantee)) return fail("QuotaInfo with invalid resource: 'guarantee' must be a list of resources")
  for (const r of guarantee) {
    if (!isObject(r) || typeof r.name !== 'string' || !r.name) return fail('QuotaInfo with invalid resource: Empty resource name')
    if (r.type === 'SCALAR') {
      const err = scalarError(isObject(r.scalar) ? r.scalar.value : undefined)
      if (err) return fail(`QuotaInfo with invalid resource: Invalid scalar resource ${r.name}: ${err}`)
    }
  }
  if (typeof request.role !== 'string' || request.role === '') return fail('QuotaInfo must specify a role')
  const roleErr = roleError(request.role)
  if (roleErr) return fail(`QuotaInfo with invalid role: ${roleErr}`)
  if (guarantee.length === 0) return fail("QuotaInfo with empty 'guarantee'")
  const names = new Set<string>()
  for (const r of guarantee as Record<string, unknown>[]) {
    const reservations = r.reservations
    if ((Array.isArray(reservations) && reservations.length) || (typeof r.role === 'string' && r.role !== '*') || r.reservation !== undefined) {
      return fail('QuotaInfo must not contain any ReservationInfo')
    }
    if (r.disk !== undefined) return fail('QuotaInfo must not contain DiskInfo')
    if (r.revocable !== undefined) return fail('QuotaInfo must not contain RevocableInfo')
    if (r.type !== 'SCALAR') return fail('QuotaInfo must not include non-scalar resources')
    if (names.has(r.name as string)) return fail(`QuotaInfo contains duplicate resource name '${r.name}'`)
    names.add(r.name as string)
  }
  return undefined
}

/**
 * The capacity heuristic (skipped with `force`): the guarantees of all roles with quota, after the change, must fit
 * in the registered agents' non-revocable scalars. Returns the overcommit message upstream words, or undefined.
 */
export function overcommitError(totalGuarantees: ReadonlyMap<string, number>, capacity: ReadonlyMap<string, number>): string | undefined {
  if (containsQuantities(capacity, totalGuarantees)) return undefined
  return `Total quota guarantees '${formatQuantities(totalGuarantees)}' exceed cluster capacity '${formatQuantities(capacity)}'`
}

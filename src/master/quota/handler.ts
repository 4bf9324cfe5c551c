// The quota calls of the operator API (SET_QUOTA, UPDATE_QUOTA, REMOVE_QUOTA, GET_QUOTA) and the v0 `/quota`
// endpoint, after upstream src/master/quota_handler.cpp: validation in upstream's order and words, authorization
// (UPDATE_QUOTA per role for changes, GET_QUOTA per role as a filter on reads), the capacity heuristic that `force`
// skips, then the master's transition (transitions.ts). Answers are plain Responses so both APIs share them.

import type { RequestAuthz } from '../../core/authz/request.ts'
import { badRequest, conflict, json, ok } from '../../core/http/responses.ts'
import { messageOf, v0Writer } from '../../core/json/v0-json.ts'
import { logger } from '../../core/log.ts'
import { addInto, NO_QUOTA, withinLimits, type Quota } from '../allocator/quota.ts'
import { scalarQuantities } from '../allocator/quantities.ts'
import type { Master } from '../master.ts'
import type { MasterState } from '../state.ts'
import {
  configOf, formatQuantities, infoOf, quotaOfConfig, quotaOfGuarantee, type QuotaConfigWire, type QuotaInfoWire,
} from './config.ts'
import { consumedWithoutOffers } from './consumed.ts'
import { overcommitError, quotaConfigError, quotaRequestError } from './validation.ts'

/** v0 `/quota` prints its scalars as Mesos does (`2.0`), from the QuotaStatus message's schema. */
const writeQuotaStatus = v0Writer(messageOf('mesos.v1.quota.QuotaStatus'))

const log = logger('quota')

/** mesos.v1.quota.QuotaStatus: the roles the caller may see (GET_QUOTA per role), legacy `infos` and `configs`. */
export function quotaStatus(s: MasterState, authz: RequestAuthz): { infos?: QuotaInfoWire[]; configs?: QuotaConfigWire[] } {
  const infos: QuotaInfoWire[] = []
  const configs: QuotaConfigWire[] = []
  for (const [role, q] of [...s.quotas].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!authz.can('GET_QUOTA', { value: role })) continue
    infos.push(infoOf(role, q))
    configs.push(configOf(role, q))
  }
  return infos.length ? { infos, configs } : {}
}

/** Non-revocable scalars of the registered agents (connected or not), what guarantees are checked against. */
function clusterCapacity(s: MasterState): Map<string, number> {
  const capacity = new Map<string, number>()
  for (const a of s.agents.values()) {
    if (a.state !== 'registered' && a.state !== 'disconnected') continue
    addInto(capacity, scalarQuantities(a.total.filter(r => r.revocable === undefined)))
  }
  return capacity
}

/** Guarantees of every role with quota once `changes` apply (only top-level roles have quota, so a plain sum). */
function totalGuarantees(s: MasterState, changes: ReadonlyMap<string, Quota>): Map<string, number> {
  const total = new Map<string, number>()
  for (const [role, q] of s.quotas) if (!changes.has(role)) addInto(total, q.guarantees)
  for (const q of changes.values()) addInto(total, q.guarantees)
  return total
}

/** SET_QUOTA and `POST /quota` (a QuotaRequest): guarantees and limits both set to the requested guarantee. */
export function setQuota(master: Master, authz: RequestAuthz, request: any): Response {
  const s = master.state
  const invalid = quotaRequestError(request)
  if (invalid) return badRequest(invalid)
  const role: string = request.role
  if (s.quotas.has(role)) return badRequest(`Failed to validate set quota request: Cannot set quota for role '${role}' which already has quota`)
  if (role.includes('/')) return badRequest(`Setting quota on nested role '${role}' is not supported yet`)
  const denied = authz.check('UPDATE_QUOTA', { quotaInfo: { role } }, `set the quota of role '${role}'`)
  if (denied) return denied
  const quota = quotaOfGuarantee(request.guarantee)
  if (request.force === true) {
    log.info(`Using force flag to override quota capacity heuristic check for role '${role}'`)
  } else {
    const over = overcommitError(totalGuarantees(s, new Map([[role, quota]])), clusterCapacity(s))
    if (over) return conflict(`Quota guarantees overcommit the cluster (use 'force' to bypass this check): ${over}`)
  }
  master.updateQuotas([{ role, quota }])
  log.info(`Set quota of role '${role}': guarantees and limits ${formatQuantities(quota.guarantees)}`)
  return ok()
}

/** UPDATE_QUOTA: `{quota_configs: [QuotaConfig], force}`; a config without guarantees and limits removes the quota. */
export function updateQuota(master: Master, authz: RequestAuthz, call: any): Response {
  const s = master.state
  const configs: unknown[] = Array.isArray(call?.quota_configs) ? call.quota_configs : []
  const force = call?.force === true
  for (const c of configs) {
    const role = (c as { role?: unknown })?.role
    if (typeof role === 'string' && role.includes('/')) return badRequest(`Updating quota on nested role '${role}' is not supported yet`)
    const invalid = quotaConfigError(c)
    if (invalid) return badRequest(`Invalid QuotaConfig: ${invalid}`)
  }
  const changes = new Map<string, Quota>()
  for (const c of configs as QuotaConfigWire[]) changes.set(c.role, quotaOfConfig(c))

  for (const [role, quota] of changes) {
    const consumed = consumedWithoutOffers(s, [role]).get(role)!
    if (withinLimits(quota.limits, consumed)) continue
    const what = `Role '${role}' is already consuming '${formatQuantities(consumed)}'; this is more than the requested limits '${formatQuantities(quota.limits)}'`
    if (!force) return badRequest(`Invalid QuotaConfig: ${what} (use 'force' flag to bypass this check)`)
    log.info(`Updating quota of role '${role}' below its consumption (forced): ${what}`)
  }
  const guarantees = totalGuarantees(s, changes)
  const capacity = clusterCapacity(s)
  if (overcommitError(guarantees, capacity)) {
    if (!force) {
      return badRequest(`Invalid QuotaConfig: total quota guarantees '${formatQuantities(guarantees)}' exceed cluster capacity '${formatQuantities(capacity)}' (use 'force' flag to bypass this check)`)
    }
    log.info('Using force flag to override quota overcommit check')
  }
  for (const role of changes.keys()) {
    const denied = authz.check('UPDATE_QUOTA', { value: role }, `update the quota of role '${role}'`)
    if (denied) return denied
  }
  master.updateQuotas([...changes].map(([role, quota]) => ({ role, quota })))
  for (const [role, q] of changes) log.info(`Updated quota of role '${role}': guarantees ${formatQuantities(q.guarantees)}, limits ${formatQuantities(q.limits)}`)
  return ok()
}

/** REMOVE_QUOTA (`v0Path` unset) and `DELETE /quota/<role>` (the request path, for upstream's messages). */
export function removeQuota(master: Master, authz: RequestAuthz, role: string, v0Path?: string): Response {
  const s = master.state
  if (!s.quotas.has(role)) {
    return badRequest(v0Path === undefined
      ? `Failed to remove quota: Role '${role}' has no quota set`
      : `Failed to remove quota for path '${v0Path}': Role '${role}' has no quota set`)
  }
  const denied = authz.check('UPDATE_QUOTA', { quotaInfo: { role } }, `remove the quota of role '${role}'`)
  if (denied) return denied
  master.updateQuotas([{ role, quota: NO_QUOTA }])
  log.info(`Removed quota of role '${role}'`)
  return ok()
}

/** `/quota` (`/master/quota`): GET the status, POST a QuotaRequest, DELETE `/master/quota/<role>`. */
export async function handleQuotaV0(master: Master, authz: RequestAuthz, req: Request, url: URL): Promise<Response> {
  switch (req.method) {
    case 'GET': return json(quotaStatus(master.state, authz), req, 200, writeQuotaStatus)
    case 'POST': {
      const body = await req.text()
      let parsed: unknown
      try {
        parsed = JSON.parse(body)
      } catch (err) {
        return badRequest(`Failed to parse set quota request JSON '${body}': ${(err as Error).message}`)
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return badRequest(`Failed to parse set quota request JSON '${body}': Expecting a JSON object`)
      }
      return setQuota(master, authz, parsed)
    }
    default: {
      // The role is everything after `/master/quota/` and may itself contain slashes (upstream tokenizes into 3).
      const path = url.pathname.startsWith('/master/') ? url.pathname : `/master${url.pathname}`
      const parts = path.split('/').filter(Boolean)
      if (parts.length < 3) {
        return badRequest(`Failed to parse remove quota request for path '${path}': expected 3 tokens, found ${parts.length} tokens`)
      }
      let role: string
      try {
        role = decodeURIComponent(parts.slice(2).join('/'))
      } catch {
        return badRequest(`Failed to parse remove quota request for path '${path}': the role is not valid percent-encoding`)
      }
      return removeQuota(master, authz, role, path)
    }
  }
}

// Quota on the wire and in the registrar: Mesos' `QuotaConfig` (guarantees and limits as name → Value.Scalar maps),
// the legacy `QuotaInfo` (guarantees as a list of scalar Resources, what SET_QUOTA and `/quota` POST send) and the
// `QuotaStatus` GET_QUOTA answers with. The allocator works on `Quota` (maps of numbers); this file converts.

import type { Resource } from '../../core/resources.ts'
import type { Quota } from '../allocator/quota.ts'

type ScalarMap = Record<string, { value: number }>

/** mesos.v1.quota.QuotaConfig as JSON. */
export interface QuotaConfigWire {
  role: string
  guarantees?: ScalarMap
  limits?: ScalarMap
}

/** mesos.v1.quota.QuotaInfo as JSON (deprecated upstream, still answered in `infos`). */
export interface QuotaInfoWire {
  role: string
  principal?: string
  guarantee?: Resource[]
}

/** What the registrar keeps per role (plain numbers, as the allocator uses them). */
export interface QuotaRecord {
  role: string
  guarantees: Record<string, number>
  limits: Record<string, number>
}

const round3 = (v: number) => Math.round(v * 1000) / 1000

function toMap(m: ScalarMap | undefined): Map<string, number> {
  const out = new Map<string, number>()
  for (const [name, s] of Object.entries(m ?? {})) out.set(name, round3(Number(s?.value ?? 0)))
  return out
}

const sortedEntries = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

export function quotaOfConfig(c: QuotaConfigWire): Quota {
  return { guarantees: toMap(c.guarantees), limits: toMap(c.limits) }
}

/** SET_QUOTA (Mesos 1.9+): the legacy request's guarantee becomes both the guarantees and the limits. */
export function quotaOfGuarantee(guarantee: readonly Resource[]): Quota {
  const m = new Map<string, number>()
  for (const r of guarantee) m.set(r.name, round3((m.get(r.name) ?? 0) + (r.scalar?.value ?? 0)))
  return { guarantees: m, limits: new Map(m) }
}

export function configOf(role: string, q: Quota): QuotaConfigWire {
  const out: QuotaConfigWire = { role }
  if (q.guarantees.size) out.guarantees = Object.fromEntries(sortedEntries(q.guarantees).map(([n, v]) => [n, { value: v }]))
  if (q.limits.size) out.limits = Object.fromEntries(sortedEntries(q.limits).map(([n, v]) => [n, { value: v }]))
  return out
}

/** Empty repeated fields are left out, as protobuf's JSON does. */
export function infoOf(role: string, q: Quota): QuotaInfoWire {
  if (!q.guarantees.size) return { role }
  return { role, guarantee: sortedEntries(q.guarantees).map(([name, value]) => ({ name, type: 'SCALAR', scalar: { value } })) }
}

export function recordOf(role: string, q: Quota): QuotaRecord {
  return { role, guarantees: Object.fromEntries(q.guarantees), limits: Object.fromEntries(q.limits) }
}

export function quotaOfRecord(r: QuotaRecord): Quota {
  return { guarantees: new Map(Object.entries(r.guarantees)), limits: new Map(Object.entries(r.limits)) }
}

/** Upstream's `operator<<(ResourceQuantities)`: `cpus:1; mem:1024`, names sorted, `{}` when empty. */
export function formatQuantities(m: ReadonlyMap<string, number>): string {
  return m.size ? sortedEntries(m).map(([n, v]) => `${n}:${v}`).join('; ') : '{}'
}

/** v0 JSON of a scalar map (`/roles`' `quota.guarantee`, `limit`, `consumed`): `{"cpus": 1, "mem": 1024}`. */
export function flatQuantities(m: ReadonlyMap<string, number> | undefined): Record<string, number> {
  return m ? Object.fromEntries(sortedEntries(m)) : {}
}

import type QuotaList from '../../commands/quota/list.ts'
import { getJson, masterUrl, operatorCall } from '../../client/cluster.ts'
import { printJson, table } from '../../client/output.ts'
import { formatAmounts } from './quota-format.ts'
import type { ParsedFor } from '../parsed.ts'

interface QuotaConfig { role: string; guarantees?: Record<string, { value: number }>; limits?: Record<string, { value: number }> }
interface RoleV0 { name: string; quota?: { consumed?: Record<string, number> } }

const asScalars = (m: Record<string, number> | undefined) =>
  Object.fromEntries(Object.entries(m ?? {}).filter(([, v]) => typeof v === 'number' && v > 0).map(([n, v]) => [n, { value: v }]))

export async function execute({ flags }: ParsedFor<typeof QuotaList>): Promise<void> {
  const base = masterUrl(flags.master)
  const status = await operatorCall<{ status?: { configs?: QuotaConfig[] } }>(base, 'GET_QUOTA')
  const configs = status.status?.configs ?? []
  // Consumption is on /roles (upstream's `quota.consumed`), for roles that have frameworks or resources.
  const roles = new Map((await getJson<{ roles?: RoleV0[] }>(`${base}/master/roles`)).roles?.map(r => [r.name, r]) ?? [])
  const list = configs.map(c => ({
    role: c.role,
    guarantees: c.guarantees ?? {},
    limits: c.limits ?? {},
    consumed: asScalars(roles.get(c.role)?.quota?.consumed),
  }))
  if (flags.json) { printJson(list); return }
  if (!list.length) { console.log('no quotas'); return }
  console.log(table(['ROLE', 'GUARANTEE', 'LIMIT', 'CONSUMED'], list.map(q =>
    [q.role, formatAmounts(q.guarantees), Object.keys(q.limits).length ? formatAmounts(q.limits) : 'none', formatAmounts(q.consumed)])))
}

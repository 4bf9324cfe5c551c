// `meso vip show NAME`: one VIP (or every VIP of that name across frameworks and ports) with its DNS names and
// backends. Exit 1 when nothing matches.

import type VipShow from '../../commands/vip/show.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, getJson, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { printJson, table } from '../../client/output.ts'
import { rfc1123 } from '../../master/dns/labels.ts'
import type { VipsInfo } from '../../master/vips/vip-service.ts'
import { vipNames } from '../../master/vips/vip-records.ts'
import { findVips } from '../../master/vips/vip-table.ts'

export async function execute({ flags, args }: ParsedFor<typeof VipShow>): Promise<number | void> {
  const master = masterUrl(flags.master)
  const info = await getJson<VipsInfo>(`${master}/api/meso/v1/vips`)
  const found = findVips(info, args.name)
  if (!found.length) throw new CliError(`no VIP '${args.name}' (meso vip list shows them)`, EXIT.FAILED)
  const dns = await getJson<{ enabled: boolean; domain?: string }>(`${master}/api/meso/v1/dns`).catch(() => ({ enabled: false } as { enabled: boolean; domain?: string }))
  const withNames = found.map(v => ({ ...v, dns_names: v.name && v.framework && dns.enabled ? vipNames(v.name, v.framework, dns.domain ?? 'mesos', rfc1123) : [] }))
  if (flags.json) { printJson(withNames); return }
  for (const [i, v] of withNames.entries()) {
    if (i) console.log('')
    console.log(`VIP        ${v.vip} (${v.protocol})`)
    if (v.name) console.log(`Name       /${v.name} of framework ${v.framework}`)
    if (v.dns_names.length) console.log(`DNS        ${v.dns_names.join(', ')}`)
    console.log(`Backends   ${v.backends.filter(b => b.serving).length} serving of ${v.backends.length}`)
    if (v.backends.length) {
      console.log(table(['BACKEND', 'TASK', 'AGENT', 'HEALTH', 'SERVING'], v.backends.map(b => [
        `${b.ip}:${b.port}`, b.task_id, b.agent_id, b.healthy === undefined ? '-' : b.healthy ? 'healthy' : 'unhealthy', b.serving ? 'yes' : 'no',
      ])))
    }
  }
}

// `meso vip list`: the master's VIP table (GET /api/meso/v1/vips), one line per VIP with its backends' counts.

import type VipList from '../../commands/vip/list.ts'
import type { ParsedFor } from '../parsed.ts'
import { getJson, masterUrl } from '../../client/cluster.ts'
import { printJson, table } from '../../client/output.ts'
import type { VipsInfo } from '../../master/vips/vip-service.ts'

export async function execute({ flags }: ParsedFor<typeof VipList>): Promise<number | void> {
  const info = await getJson<VipsInfo>(`${masterUrl(flags.master)}/api/meso/v1/vips`)
  if (flags.json) { printJson(info); return }
  if (!info.vips.length) console.error(`no VIPs (a task declares one with a VIP_0=/NAME:PORT port label, e.g. meso task run --vip NAME:PORT; named VIPs get addresses in ${info.range})`)
  else {
    console.log(table(['VIP', 'PROTO', 'NAME', 'FRAMEWORK', 'BACKENDS', 'SERVING'], info.vips.map(v => [
      v.vip, v.protocol, v.name ? `/${v.name}` : '-', v.framework ?? '-', v.backends.length, v.backends.filter(b => b.serving).length,
    ])))
  }
  for (const e of info.errors) console.error(`warning: task ${e.task_id} (framework ${e.framework_id}): ${e.message}`)
}

import type ServiceList from '../../commands/service/list.ts'
import { masterUrl } from '../../client/cluster.ts'
import { printJson, table } from '../../client/output.ts'
import { ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { APP_HEADERS, appRow } from '../service-table.ts'

export async function execute({ flags }: ParsedFor<typeof ServiceList>): Promise<void> {
  const apps = await new ServicesClient(masterUrl(flags.master)).list(['apps.counts', 'apps.deployments'])
  if (flags.json) { printJson(apps); return }
  if (!apps.length) { console.log("no services; deploy one with 'meso service deploy FILE'"); return }
  console.log(table(APP_HEADERS, [...apps].sort((a, b) => (a.id < b.id ? -1 : 1)).map(appRow)))
}

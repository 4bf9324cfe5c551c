// `meso service endpoints APP`: where an app's instances can be reached (service-endpoints.ts builds the view):
// the app and its tasks from Marathon's /v2 API, the DNS domain and the VIP table from meso's own API. Those two and
// the framework's name (/v2/info) only add names: when the master does not answer them the endpoints are still
// shown, with a warning saying what is missing. An unknown app exits 1 with the API's message.

import type ServiceEndpoints from '../../commands/service/endpoints.ts'
import { getJson, masterUrl } from '../../client/cluster.ts'
import { printJson, table } from '../../client/output.ts'
import { absoluteAppId, ServicesClient } from '../../client/services.ts'
import { rfc1123 } from '../../master/dns/labels.ts'
import type { VipsInfo } from '../../master/vips/vip-service.ts'
import type { ParsedFor } from '../parsed.ts'
import { appEndpoints, ENDPOINT_HEADERS, endpointRows, endpointSummary } from '../service-endpoints.ts'

export async function execute({ flags, args }: ParsedFor<typeof ServiceEndpoints>): Promise<number | void> {
  const master = masterUrl(flags.master)
  const client = new ServicesClient(master)
  const id = absoluteAppId(args.id)
  const warnings: string[] = []
  const optional = <T>(what: string, p: Promise<T>) => p.catch((err: Error) => { warnings.push(`${what}: ${err.message}`); return undefined })
  const [app, tasks, info, dns, vips] = await Promise.all([
    client.get(id),
    client.tasks(id),
    optional("no DNS names (the services framework's name is unknown)", client.info()),
    optional('no DNS names (the DNS settings are unknown)', getJson<{ enabled: boolean; domain?: string }>(`${master}/api/meso/v1/dns`)),
    optional('no VIPs (the VIP table is unknown)', getJson<VipsInfo>(`${master}/api/meso/v1/vips`)),
  ])
  const name = info?.marathon_config?.framework_name
  // The master's --dns_enforce_rfc952 is not in its DNS answer; names are shown by the default (RFC 1123) rules.
  const view = appEndpoints(app, tasks, vips?.vips, {
    ...(dns ? { dns } : {}),
    ...(name ? { framework: { name, ...(info?.frameworkId ? { id: info.frameworkId } : {}) } } : {}),
    spec: rfc1123,
  })
  for (const w of warnings) console.error(`warning: ${w}`)
  if (flags.json) { printJson(view); return }
  const summary = endpointSummary(view)
  const width = Math.max(...summary.map(([k]) => k.length))
  for (const [k, v] of summary) console.log(`${k.padEnd(width)}  ${v}`)
  console.log('')
  if (!view.tasks.length) console.log(`service ${id} has no tasks`)
  else console.log(table(ENDPOINT_HEADERS, endpointRows(view)))
}

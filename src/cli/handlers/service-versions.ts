import type ServiceVersions from '../../commands/service/versions.ts'
import { masterUrl } from '../../client/cluster.ts'
import { printJson, table } from '../../client/output.ts'
import { absoluteAppId, ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { VERSION_HEADERS, versionRows } from '../service-table.ts'

export async function execute({ flags, args }: ParsedFor<typeof ServiceVersions>): Promise<void> {
  const id = absoluteAppId(args.id)
  const client = new ServicesClient(masterUrl(flags.master))
  const versions = await client.versions(id)
  if (flags.json) { printJson(versions); return }
  const app = await client.get(id)
  console.log(table(VERSION_HEADERS, versionRows(versions, app)))
}

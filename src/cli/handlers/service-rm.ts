import type ServiceRm from '../../commands/service/rm.ts'
import { masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { printJson } from '../../client/output.ts'
import { absoluteAppId, ServiceApiError, ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { follow, explainConflict, subscribeIfFollowing, timeoutMs } from './service-follow.ts'

export async function execute({ flags, args }: ParsedFor<typeof ServiceRm>): Promise<number> {
  timeoutMs(flags)
  const id = absoluteAppId(args.id)
  const client = new ServicesClient(masterUrl(flags.master))
  const sub = await subscribeIfFollowing(client, flags)
  let r
  try {
    r = await client.remove(id, flags.force)
  } catch (err) {
    sub?.close()
    if (err instanceof ServiceApiError) explainConflict(err, id, flags.force)
    throw err
  }
  if (flags.json) printJson(r)
  else console.log(`removing service ${id} (deployment ${r.deploymentId})`)
  if (!sub) return EXIT.OK
  return follow(client, sub, [r.deploymentId], [id], flags, { what: `deployment ${r.deploymentId} removing ${id}` })
}

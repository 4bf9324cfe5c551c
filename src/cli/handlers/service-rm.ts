import type ServiceRm from '../../commands/service/rm.ts'
import { masterUrl } from '../../client/cluster.ts'
import { absoluteAppId, ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { changeAndFollow } from './service-follow.ts'

export async function execute({ flags, args }: ParsedFor<typeof ServiceRm>): Promise<number> {
  const id = absoluteAppId(args.id)
  const client = new ServicesClient(masterUrl(flags.master))
  return changeAndFollow(client, id, flags, () => client.remove(id, flags.force), { doing: 'removing', following: d => `deployment ${d} removing ${id}` })
}

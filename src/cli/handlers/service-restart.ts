import type ServiceRestart from '../../commands/service/restart.ts'
import { masterUrl } from '../../client/cluster.ts'
import { absoluteAppId, ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { changeAndFollow } from './service-follow.ts'

export async function execute({ flags, args }: ParsedFor<typeof ServiceRestart>): Promise<number> {
  const id = absoluteAppId(args.id)
  const client = new ServicesClient(masterUrl(flags.master))
  return changeAndFollow(client, id, flags, () => client.restart(id, flags.force), { doing: 'restarting', following: d => `deployment ${d} of ${id}` })
}

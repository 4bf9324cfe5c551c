import type ServiceScale from '../../commands/service/scale.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { printJson } from '../../client/output.ts'
import { absoluteAppId, ServiceApiError, ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { follow, explainConflict, subscribeIfFollowing, timeoutMs } from './service-follow.ts'

/** The most instances one app may ask for here; a typo of a few digits should not start a thousand tasks. */
const MAX_INSTANCES = 10_000

export async function execute({ flags, args }: ParsedFor<typeof ServiceScale>): Promise<number> {
  timeoutMs(flags)
  const raw = args.instances.trim()
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || n > MAX_INSTANCES) throw new CliError(`INSTANCES must be a whole number from 0 to ${MAX_INSTANCES}, got ${args.instances}`, EXIT.USAGE)
  const id = absoluteAppId(args.id)
  const client = new ServicesClient(masterUrl(flags.master))
  const sub = await subscribeIfFollowing(client, flags)
  let r
  try {
    r = await client.scale(id, n, flags.force)
  } catch (err) {
    sub?.close()
    if (err instanceof ServiceApiError) explainConflict(err, id, flags.force)
    throw err
  }
  if (flags.json) printJson(r)
  else console.log(`scaling service ${id} to ${n} instance${n === 1 ? '' : 's'} (deployment ${r.deploymentId})`)
  if (!sub) return EXIT.OK
  return follow(client, sub, [r.deploymentId], [id], flags, { what: `deployment ${r.deploymentId} of ${id}`, undo: `meso service rollback ${id} ${r.deploymentId}` })
}

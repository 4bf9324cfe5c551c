import type ServiceRollback from '../../commands/service/rollback.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { printJson } from '../../client/output.ts'
import { absoluteAppId, ServiceApiError, ServicesClient, type DeploymentResult } from '../../client/services.ts'
import { previousConfigVersion } from '../service-table.ts'
import type { ParsedFor } from '../parsed.ts'
import { explainConflict, follow, subscribeIfFollowing, timeoutMs } from './service-follow.ts'

export async function execute({ flags, args }: ParsedFor<typeof ServiceRollback>): Promise<number> {
  timeoutMs(flags)
  const id = absoluteAppId(args.id)
  const client = new ServicesClient(masterUrl(flags.master))
  let target = args.deployment
  if (!target) {
    const inProgress = (await client.deployments()).filter(d => (d.affectedApps ?? []).includes(id))
    if (inProgress.length > 1) throw new CliError(`${id} has ${inProgress.length} deployments in progress (${inProgress.map(d => d.id).join(', ')}); name the one to undo: 'meso service rollback ${id} DEPLOYMENT'`, EXIT.USAGE)
    target = inProgress[0]?.id
  }
  if (flags.stop) {
    if (flags.timeout !== undefined || flags.json) throw new CliError('--stop stops the deployment and follows nothing: --timeout and --json do not apply', EXIT.USAGE)
    if (!target) throw new CliError(`${id} has no deployment in progress to stop`)
    await client.cancelDeployment(target, true)
    console.log(`deployment ${target} of ${id} stopped where it was; nothing was reverted (see 'meso service show ${id}')`)
    return EXIT.OK
  }

  const sub = await subscribeIfFollowing(client, flags)
  let r: DeploymentResult
  try {
    if (target) {
      const reverted = await client.cancelDeployment(target)
      if (!reverted) throw new CliError(`rolling back deployment ${target}: the master stopped it but started no deployment to revert it`)
      r = reverted
      if (!flags.json) console.log(`rolling back deployment ${target} of ${id} (deployment ${r.deploymentId} reverts it)`)
    } else {
      const [app, versions] = await Promise.all([client.get(id), client.versions(id)])
      const previous = previousConfigVersion(versions, app)
      if (!previous) throw new CliError(`${id} has no deployment in progress and no earlier version to go back to (see 'meso service versions ${id}')`)
      r = await client.deployVersion(id, previous)
      if (!flags.json) console.log(`rolling service ${id} back to version ${previous} (deployment ${r.deploymentId})`)
    }
  } catch (err) {
    sub?.close()
    if (err instanceof ServiceApiError) explainConflict(err, id, false)
    throw err
  }
  if (flags.json) printJson(r)
  if (!sub) return EXIT.OK
  return follow(client, sub, [r.deploymentId], [id], flags, { what: `deployment ${r.deploymentId} of ${id}` })
}

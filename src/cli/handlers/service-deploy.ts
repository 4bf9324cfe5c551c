import { readFileSync, statSync } from 'node:fs'
import type ServiceDeploy from '../../commands/service/deploy.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { printJson } from '../../client/output.ts'
import { parseServiceSpecs, ServiceFileError } from '../../client/service-spec-file.ts'
import { MAX_SERVICE_FILE_BYTES, ServiceApiError, ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { follow, explainConflict, subscribeIfFollowing, timeoutMs } from './service-follow.ts'

async function readDefinitions(file: string): Promise<string> {
  if (file === '-') {
    if (process.stdin.isTTY) throw new CliError("'-' reads the app definition from stdin, which is a terminal; pipe a file in or name it", EXIT.USAGE)
    const bytes = await Bun.stdin.arrayBuffer()
    if (bytes.byteLength > MAX_SERVICE_FILE_BYTES) throw new CliError(`the app definition on stdin is larger than ${MAX_SERVICE_FILE_BYTES} bytes`, EXIT.USAGE)
    return new TextDecoder().decode(bytes)
  }
  try {
    if (statSync(file).size > MAX_SERVICE_FILE_BYTES) throw new CliError(`${file} is larger than ${MAX_SERVICE_FILE_BYTES} bytes; is it an app definition?`, EXIT.USAGE)
    return readFileSync(file, 'utf8')
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.USAGE)
  }
}

export async function execute({ flags, args }: ParsedFor<typeof ServiceDeploy>): Promise<number> {
  timeoutMs(flags)
  let apps
  try { apps = parseServiceSpecs(await readDefinitions(args.file), args.file === '-' ? 'stdin' : args.file) } catch (err) {
    if (err instanceof ServiceFileError) throw new CliError(err.message, EXIT.USAGE)
    throw err
  }
  const client = new ServicesClient(masterUrl(flags.master))
  // Whether each app is new is only for the messages; one app is created or replaced by its own PUT, several by
  // one PUT /v2/apps, one deployment, in which Marathon orders their dependencies.
  const existing = apps.length > 1 ? new Set((await client.list()).map(a => a.id)) : undefined
  const sub = await subscribeIfFollowing(client, flags)
  let started: { id: string; deploymentId: string; version: string; created: boolean }[]
  try {
    if (apps.length === 1) {
      const r = await client.put(apps[0]!, flags.force)
      started = [{ id: apps[0]!.id, ...r }]
    } else {
      const r = await client.putMany(apps, flags.force)
      started = apps.map(a => ({ id: a.id, ...r, created: !existing!.has(a.id) }))
    }
  } catch (err) {
    sub?.close()
    if (err instanceof ServiceApiError) explainConflict(err, apps.map(a => a.id), flags.force)
    throw err
  }
  if (flags.json) printJson(started)
  else for (const s of started) console.log(`service ${s.id} ${s.created ? 'created' : 'updated'} (deployment ${s.deploymentId})`)
  if (!sub) return EXIT.OK
  const { deploymentId } = started[0]!
  const ids = started.map(s => s.id)
  return follow(client, sub, [deploymentId], ids, flags, {
    what: `deployment ${deploymentId} of ${ids.join(', ')}`,
    undo: `meso service rollback ${ids[0]} ${deploymentId}`,
  })
}

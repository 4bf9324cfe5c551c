import type { ParsedCommand } from '../../cli/parsed.ts'
import { masterUrl } from '../cluster.ts'
import { attachToTask, parseDetachKeys } from '../container-session.ts'

export async function execute({ flags, args }: ParsedCommand): Promise<number> {
  return attachToTask(masterUrl(flags.master), args.task!, { noStdin: flags['no-stdin'], detachKeys: parseDetachKeys(flags['detach-keys']) })
}

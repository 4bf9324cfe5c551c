import type TaskAttach from '../../commands/task/attach.ts'
import type { ParsedFor } from '../parsed.ts'
import { masterUrl } from '../../client/cluster.ts'
import { attachToTask, parseDetachKeys } from '../../client/container-session.ts'

export async function execute({ flags, args }: ParsedFor<typeof TaskAttach>): Promise<number> {
  return attachToTask(masterUrl(flags.master), args.task, { noStdin: flags['no-stdin'], detachKeys: parseDetachKeys(flags['detach-keys']) })
}

import type ImageRm from '../../commands/image/rm.ts'
import { masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { removeImage, targetAgents } from '../../client/images.ts'
import { formatBytes } from '../../client/pull-progress.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof ImageRm>): Promise<number> {
  const agents = await targetAgents(masterUrl(flags.master), flags.agent)
  let removed = 0
  const problems: string[] = []
  for (const a of agents) {
    try {
      // Not having it is only an error when no agent has it.
      const r = await removeImage(a, args.reference)
      if (!r) continue
      removed++
      process.stderr.write(`${a.address}: removed ${r.removed.join(', ')} (${formatBytes(r.freed_bytes)} freed)\n`)
    } catch (err) {
      problems.push((err as Error).message)
    }
  }
  for (const p of problems) process.stderr.write(`error: ${p}\n`)
  if (!removed && !problems.length) process.stderr.write(`error: no agent has image ${args.reference}\n`)
  return problems.length || !removed ? EXIT.FAILED : EXIT.OK
}

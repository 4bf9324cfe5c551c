import type ImageGc from '../../commands/image/gc.ts'
import { masterUrl } from '../../client/cluster.ts'
import { gcImages, targetAgents } from '../../client/images.ts'
import { printJson } from '../../client/output.ts'
import { formatBytes } from '../../client/pull-progress.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags }: ParsedFor<typeof ImageGc>): Promise<void> {
  const agents = await targetAgents(masterUrl(flags.master), flags.agent)
  const results = await Promise.all(agents.map(async a => ({ agent_id: a.id, agent: a.address, ...(await gcImages(a, flags.all)) })))
  if (flags.json) { printJson(results); return }
  for (const r of results) console.log(`${r.agent}: removed ${r.removed.length} image(s)${r.removed.length ? ` (${r.removed.join(', ')})` : ''}, ${formatBytes(r.freed_bytes)} freed`)
}

import type ImageList from '../../commands/image/list.ts'
import { masterUrl } from '../../client/cluster.ts'
import { listImages, targetAgents } from '../../client/images.ts'
import { ago, printJson, table } from '../../client/output.ts'
import { formatBytes } from '../../client/pull-progress.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags }: ParsedFor<typeof ImageList>): Promise<void> {
  const agents = await targetAgents(masterUrl(flags.master), flags.agent)
  const rows = (await Promise.all(agents.map(async a => (await listImages(a)).map(i => ({ agent_id: a.id, agent: a.address, ...i }))))).flat()
  if (flags.json) { printJson(rows); return }
  if (!rows.length) { console.log('no images'); return }
  console.log(table(['IMAGE', 'DIGEST', 'SIZE', 'LAYERS', 'CONTAINERS', 'LAST USED', 'AGENT'], rows.map(r => [
    r.reference, r.digest.replace('sha256:', '').slice(0, 12), formatBytes(r.size), r.layers, r.containers, ago(r.last_used), r.agent,
  ])))
}

import { ClientCommand, jsonFlag, masterFlag } from '../base.ts'
import { agentFlag } from './pull.ts'

export default class ImageList extends ClientCommand {
  static description = 'list the images in the agents\' image stores'
  static flags = { master: masterFlag, agent: agentFlag, json: jsonFlag }

  async run() {
    const { flags } = await this.parse(ImageList)
    await this.guard(async () => {
      const { masterUrl } = await import('../../client/cluster.ts')
      const { listImages, targetAgents } = await import('../../client/images.ts')
      const { ago, printJson, table } = await import('../../client/output.ts')
      const { formatBytes } = await import('../../client/pull-progress.ts')
      const agents = await targetAgents(masterUrl(flags.master), flags.agent)
      const rows = (await Promise.all(agents.map(async a => (await listImages(a)).map(i => ({ agent_id: a.id, agent: a.address, ...i }))))).flat()
      if (flags.json) { printJson(rows); return }
      if (!rows.length) { this.log('no images'); return }
      this.log(table(['IMAGE', 'DIGEST', 'SIZE', 'LAYERS', 'CONTAINERS', 'LAST USED', 'AGENT'], rows.map(r => [
        r.reference, r.digest.replace('sha256:', '').slice(0, 12), formatBytes(r.size), r.layers, r.containers, ago(r.last_used), r.agent,
      ])))
    })
  }
}

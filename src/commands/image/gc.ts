import { Flags } from '@oclif/core'
import { ClientCommand, jsonFlag, masterFlag } from '../base.ts'
import { agentFlag } from './pull.ts'

export default class ImageGc extends ClientCommand {
  static description = 'collect unused images now: least recently used first down to the agent\'s --image_gc_max_bytes, and layers no image uses (--all: every image no container uses, like PRUNE_IMAGES)'
  static flags = { master: masterFlag, agent: agentFlag, json: jsonFlag, all: Flags.boolean({ description: 'remove every image no running container uses' }) }

  async run() {
    const { flags } = await this.parse(ImageGc)
    await this.guard(async () => {
      const { masterUrl } = await import('../../client/cluster.ts')
      const { gcImages, targetAgents } = await import('../../client/images.ts')
      const { printJson } = await import('../../client/output.ts')
      const { formatBytes } = await import('../../client/pull-progress.ts')
      const agents = await targetAgents(masterUrl(flags.master), flags.agent)
      const results = await Promise.all(agents.map(async a => ({ agent_id: a.id, agent: a.address, ...(await gcImages(a, flags.all)) })))
      if (flags.json) { printJson(results); return }
      for (const r of results) this.log(`${r.agent}: removed ${r.removed.length} image(s)${r.removed.length ? ` (${r.removed.join(', ')})` : ''}, ${formatBytes(r.freed_bytes)} freed`)
    })
  }
}

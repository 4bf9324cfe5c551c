import { Args } from '@oclif/core'
import { ClientCommand, masterFlag } from '../base.ts'
import { agentFlag } from './pull.ts'

export default class ImageRm extends ClientCommand {
  static description = 'remove an image from the agents\' image stores (refused while a container uses it)'
  static args = { reference: Args.string({ description: 'image reference or manifest digest (sha256:…)', required: true }) }
  static flags = { master: masterFlag, agent: agentFlag }

  async run() {
    const { args, flags } = await this.parse(ImageRm)
    await this.guard(async () => {
      const { masterUrl } = await import('../../client/cluster.ts')
      const { removeImage, targetAgents } = await import('../../client/images.ts')
      const { formatBytes } = await import('../../client/pull-progress.ts')
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
      return problems.length || !removed ? 1 : 0
    })
  }
}

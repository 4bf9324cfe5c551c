import { Args } from '@oclif/core'
import { agentFlag, ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class ImageRm extends ClientCommand {
  static description = 'remove an image from the agents\' image stores (refused while a container uses it)'
  static args = { reference: Args.string({ description: 'image reference or manifest digest (sha256:…)', required: true }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, agent: agentFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/image-rm.ts'), await this.parse(ImageRm))
  }
}

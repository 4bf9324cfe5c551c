import { Flags } from '@oclif/core'
import { agentFlag, ClientCommand, jsonFlag, caCertFlag, masterFlag } from '../base.ts'

export default class ImageGc extends ClientCommand {
  static description = 'collect unused images now: least recently used first down to the agent\'s --image_gc_max_bytes, and layers no image uses (--all: every image no container uses, like PRUNE_IMAGES)'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, agent: agentFlag, json: jsonFlag, all: Flags.boolean({ description: 'remove every image no running container uses' }) }

  async run() {
    await this.handle(() => import('../../cli/handlers/image-gc.ts'), await this.parse(ImageGc))
  }
}

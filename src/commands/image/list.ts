import { agentFlag, ClientCommand, jsonFlag, caCertFlag, masterFlag } from '../base.ts'

export default class ImageList extends ClientCommand {
  static description = 'list the images in the agents\' image stores'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, agent: agentFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/image-list.ts'), await this.parse(ImageList))
  }
}

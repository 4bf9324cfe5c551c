import { agentFlag, ClientCommand, jsonFlag, masterFlag } from '../base.ts'

export default class ImageList extends ClientCommand {
  static description = 'list the images in the agents\' image stores'
  static flags = { master: masterFlag, agent: agentFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/image-list.ts'), await this.parse(ImageList))
  }
}

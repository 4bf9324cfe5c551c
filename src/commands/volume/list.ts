import { ClientCommand, jsonFlag, caCertFlag, masterFlag } from '../base.ts'

export default class VolumeList extends ClientCommand {
  static description = 'list the persistent volumes on the agents (created with CREATE / CREATE_VOLUMES) and the tasks using them'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/volume-list.ts'), await this.parse(VolumeList))
  }
}

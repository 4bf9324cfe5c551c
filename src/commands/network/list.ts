import { ClientCommand, jsonFlag, caCertFlag, masterFlag } from '../base.ts'

export default class NetworkList extends ClientCommand {
  static description = 'list the CNI networks configured on the agents, with why one is broken (join one with `meso task run --network NAME`)'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/network-list.ts'), await this.parse(NetworkList))
  }
}

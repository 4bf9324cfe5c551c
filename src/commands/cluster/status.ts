import { ClientCommand, jsonFlag, caCertFlag, masterFlag } from '../base.ts'

export default class ClusterStatus extends ClientCommand {
  static description = 'cluster health and resources used / total'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/cluster-status.ts'), await this.parse(ClusterStatus))
  }
}

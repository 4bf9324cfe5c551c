import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class VipList extends ClientCommand {
  static description = 'list the VIPs tasks declare (VIP_<n> port labels), their addresses, names and backends with their health'
  static examples = ['$ meso vip list', '$ meso vip list --json']
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/vip-list.ts'), await this.parse(VipList))
  }
}

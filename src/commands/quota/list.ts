import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class QuotaList extends ClientCommand {
  static description = 'list role quotas: guarantees, limits and what each role consumes (GET_QUOTA, /roles)'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/quota-list.ts'), await this.parse(QuotaList))
  }
}

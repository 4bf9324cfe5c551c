import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class QuotaRm extends ClientCommand {
  static description = "remove a role's quota (REMOVE_QUOTA): no guarantee, no limit"
  static args = { role: Args.string({ required: true, description: 'role' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/quota-rm.ts'), await this.parse(QuotaRm))
  }
}

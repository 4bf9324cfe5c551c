import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'
import { followFlags, forceFlag } from './flags.ts'

export default class ServiceRm extends ClientCommand {
  static description = 'remove a service: its tasks are killed and its definition deleted; follows the deployment'
  static args = { id: Args.string({ required: true, description: 'app id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, force: forceFlag, ...followFlags }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-rm.ts'), await this.parse(ServiceRm))
  }
}

import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'
import { followFlags, forceFlag } from './flags.ts'

export default class ServiceRestart extends ClientCommand {
  static description = "replace every task of a service by a new one, following the app's upgrade strategy, and follow the deployment"
  static args = { id: Args.string({ required: true, description: 'app id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, force: forceFlag, ...followFlags }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-restart.ts'), await this.parse(ServiceRestart))
  }
}

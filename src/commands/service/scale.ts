import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'
import { followFlags, forceFlag } from './flags.ts'

export default class ServiceScale extends ClientCommand {
  static description = 'change the number of instances of a service and follow the deployment'
  static examples = ['meso service scale /web 5', 'meso service scale /web 0 --force']
  static args = {
    id: Args.string({ required: true, description: 'app id' }),
    instances: Args.string({ required: true, description: 'the number of instances wanted (0 or more)' }),
  }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, force: forceFlag, ...followFlags }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-scale.ts'), await this.parse(ServiceScale))
  }
}

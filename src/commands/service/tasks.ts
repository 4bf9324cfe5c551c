import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class ServiceTasks extends ClientCommand {
  static description = "list a service's tasks: host, state, health, ports, version"
  static args = { id: Args.string({ required: true, description: 'app id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-tasks.ts'), await this.parse(ServiceTasks))
  }
}

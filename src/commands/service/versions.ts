import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class ServiceVersions extends ClientCommand {
  static description = "list a service's versions, newest first, the current one marked (rollback goes back to the previous configuration)"
  static args = { id: Args.string({ required: true, description: 'app id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-versions.ts'), await this.parse(ServiceVersions))
  }
}

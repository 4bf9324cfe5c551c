import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class ServiceShow extends ClientCommand {
  static description = 'show a service: its definition, tasks with health, the deployment in progress and why it is stuck, and why instances are not running (the offers declined and for what)'
  static examples = ['meso service show /web', 'meso service show web --json']
  static args = { id: Args.string({ required: true, description: "app id ('/web'; the leading slash may be left out)" }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-show.ts'), await this.parse(ServiceShow))
  }
}

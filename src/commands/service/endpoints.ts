import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class ServiceEndpoints extends ClientCommand {
  static description = "where a service's instances can be reached: each task's host:port (container IP:port on a CNI network) with its health, the app's DNS names and its VIPs"
  static examples = ['$ meso service endpoints web', '$ meso service endpoints /shop/api --json']
  static args = { id: Args.string({ required: true, description: 'app id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-endpoints.ts'), await this.parse(ServiceEndpoints))
  }
}

import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class ServiceList extends ClientCommand {
  static description = 'list the services: instances running and wanted, healthy, deployments in progress, version'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/service-list.ts'), await this.parse(ServiceList))
  }
}

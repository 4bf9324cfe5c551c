import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class SecretList extends ClientCommand {
  static description = "list the secrets in the master's store (paths and times; never values)"
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/secret-list.ts'), await this.parse(SecretList))
  }
}

import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class SecretRm extends ClientCommand {
  static description = "remove a secret from the master's store (running tasks keep what they were given)"
  static args = { path: Args.string({ required: true, description: 'secret path' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/secret-rm.ts'), await this.parse(SecretRm))
  }
}

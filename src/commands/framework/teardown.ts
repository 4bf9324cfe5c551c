import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class FrameworkTeardown extends ClientCommand {
  static description = 'tear down a framework: kill all its tasks and remove it'
  static args = { id: Args.string({ required: true, description: 'framework id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/framework-teardown.ts'), await this.parse(FrameworkTeardown))
  }
}

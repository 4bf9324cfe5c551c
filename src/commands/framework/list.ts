import { Flags } from '@oclif/core'
import { ClientCommand, jsonFlag, caCertFlag, masterFlag } from '../base.ts'

export default class FrameworkList extends ClientCommand {
  static description = 'list frameworks (--all adds completed ones)'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag, all: Flags.boolean({ char: 'a', description: 'include completed frameworks' }) }

  async run() {
    await this.handle(() => import('../../cli/handlers/framework-list.ts'), await this.parse(FrameworkList))
  }
}

import { Flags } from '@oclif/core'
import { ClientCommand, jsonFlag, masterFlag } from '../base.ts'

export default class FrameworkList extends ClientCommand {
  static description = 'list frameworks (--all adds completed ones)'
  static flags = { master: masterFlag, json: jsonFlag, all: Flags.boolean({ char: 'a', description: 'include completed frameworks' }) }

  async run() {
    const parsed = await this.parse(FrameworkList)
    await this.guard(async () => (await import('../../client/commands/framework-list.ts')).execute(parsed as any))
  }
}

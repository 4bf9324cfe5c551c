import { Args } from '@oclif/core'
import { ClientCommand, masterFlag } from '../base.ts'

export default class FrameworkTeardown extends ClientCommand {
  static description = 'tear down a framework: kill all its tasks and remove it'
  static args = { id: Args.string({ required: true, description: 'framework id' }) }
  static flags = { master: masterFlag }

  async run() {
    const parsed = await this.parse(FrameworkTeardown)
    await this.guard(async () => (await import('../../client/commands/framework-teardown.ts')).execute(parsed as any))
  }
}

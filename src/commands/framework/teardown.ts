import { Args } from '@oclif/core'
import { ClientCommand, masterFlag } from '../base.ts'

export default class FrameworkTeardown extends ClientCommand {
  static description = 'tear down a framework: kill all its tasks and remove it'
  static args = { id: Args.string({ required: true, description: 'framework id' }) }
  static flags = { master: masterFlag }

  async run() {
    const { args, flags } = await this.parse(FrameworkTeardown)
    await this.guard(async () => {
      const { masterUrl, operatorCall } = await import('../../client/cluster.ts')
      await operatorCall(masterUrl(flags.master), 'TEARDOWN', { teardown: { framework_id: { value: args.id } } })
      this.log(`framework ${args.id} torn down`)
    })
  }
}

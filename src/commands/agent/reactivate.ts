import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class AgentReactivate extends ClientCommand {
  static description = 'offer a deactivated or drained agent again (REACTIVATE_AGENT)'
  static args = { agent: Args.string({ required: true, description: 'agent id, unique id prefix, or hostname' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/agent-reactivate.ts'), await this.parse(AgentReactivate))
  }
}

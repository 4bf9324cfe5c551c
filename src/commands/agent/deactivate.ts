import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class AgentDeactivate extends ClientCommand {
  static description = 'stop offering an agent\'s resources; its tasks keep running (DEACTIVATE_AGENT)'
  static args = { agent: Args.string({ required: true, description: 'agent id, unique id prefix, or hostname' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/agent-deactivate.ts'), await this.parse(AgentDeactivate))
  }
}

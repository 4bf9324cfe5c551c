import { ClientCommand, jsonFlag, caCertFlag, masterFlag } from '../base.ts'

export default class AgentList extends ClientCommand {
  static description = 'list agents with their resources'
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/agent-list.ts'), await this.parse(AgentList))
  }
}

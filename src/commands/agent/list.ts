import { ClientCommand, jsonFlag, masterFlag } from '../base.ts'

export default class AgentList extends ClientCommand {
  static description = 'list agents with their resources'
  static flags = { master: masterFlag, json: jsonFlag }

  async run() {
    const parsed = await this.parse(AgentList)
    await this.guard(async () => (await import('../../client/commands/agent-list.ts')).execute(parsed as any))
  }
}

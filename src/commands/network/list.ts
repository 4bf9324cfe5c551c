import { ClientCommand, jsonFlag, masterFlag } from '../base.ts'

export default class NetworkList extends ClientCommand {
  static description = 'list the CNI networks configured on the agents (join one with `meso task run --network NAME`)'
  static flags = { master: masterFlag, json: jsonFlag }

  async run() {
    const parsed = await this.parse(NetworkList)
    await this.guard(async () => (await import('../../client/commands/network-list.ts')).execute(parsed as any))
  }
}

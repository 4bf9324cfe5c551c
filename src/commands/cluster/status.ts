import { ClientCommand, jsonFlag, masterFlag } from '../base.ts'

export default class ClusterStatus extends ClientCommand {
  static description = 'cluster health and resources used / total'
  static flags = { master: masterFlag, json: jsonFlag }

  async run() {
    const parsed = await this.parse(ClusterStatus)
    await this.guard(async () => (await import('../../client/commands/cluster-status.ts')).execute(parsed as any))
  }
}

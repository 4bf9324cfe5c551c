import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class VipShow extends ClientCommand {
  static description = 'show one VIP (by name, address or IP:PORT): its DNS names and every backend with its task, agent and health'
  static examples = ['$ meso vip show web', '$ meso vip show /prod/web --json', '$ meso vip show 11.0.0.7:80']
  static args = { name: Args.string({ required: true, description: 'VIP name (with or without the leading /), its address, or IP:PORT' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/vip-show.ts'), await this.parse(VipShow))
  }
}

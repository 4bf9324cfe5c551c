import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class DnsLookup extends ClientCommand {
  static description = "ask the master's DNS (--dns) for a name, as a task's resolver would: answers, TTLs and the status"
  static examples = [
    '$ meso dns lookup web.marathon.mesos',
    '$ meso dns lookup _web._tcp.marathon.mesos --type SRV',
    '$ meso dns lookup leader.mesos --json',
  ]
  static args = { name: Args.string({ required: true, description: 'the name to look up; one label alone gets the domain (leader → leader.mesos)' }) }
  static flags = {
    master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag,
    type: Flags.string({ description: 'record type', options: ['A', 'AAAA', 'SRV', 'SOA', 'NS', 'ANY'], default: 'A' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/dns-lookup.ts'), await this.parse(DnsLookup))
  }
}

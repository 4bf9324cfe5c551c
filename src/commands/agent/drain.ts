import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class AgentDrain extends ClientCommand {
  static description = 'drain an agent: no more offers, kill its tasks, wait until DRAINED (DRAIN_AGENT)'
  static args = { agent: Args.string({ required: true, description: 'agent id, unique id prefix, or hostname' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    grace: Flags.string({ description: 'longest kill grace period for its tasks (e.g. 30s; default: each task\'s kill policy)', helpValue: 'DURATION' }),
    'mark-gone': Flags.boolean({ description: 'mark the agent gone once drained (it may never come back)' }),
    wait: Flags.boolean({ description: 'wait until the agent is drained', default: true, allowNo: true }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/agent-drain.ts'), await this.parse(AgentDrain))
  }
}

import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class JobRm extends ClientCommand {
  static description = 'remove a job, its schedules and its history (refused while it has active runs, unless --stop-runs)'
  static args = { job: Args.string({ required: true, description: 'job id' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    'stop-runs': Flags.boolean({ description: 'stop its active runs first' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/job-rm.ts'), await this.parse(JobRm))
  }
}

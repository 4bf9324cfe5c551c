import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../../base.ts'

export default class JobScheduleRm extends ClientCommand {
  static description = 'remove a schedule from a job'
  static args = {
    job: Args.string({ required: true, description: 'job id' }),
    schedule: Args.string({ required: true, description: 'schedule id' }),
  }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag }

  async run() {
    await this.handle(() => import('../../../cli/handlers/job-schedule-rm.ts'), await this.parse(JobScheduleRm))
  }
}

import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../../base.ts'

export default class JobScheduleList extends ClientCommand {
  static description = "list a job's schedules and when each fires next"
  static args = { job: Args.string({ required: true, description: 'job id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../../cli/handlers/job-schedule-list.ts'), await this.parse(JobScheduleList))
  }
}

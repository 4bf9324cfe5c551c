import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class JobHistory extends ClientCommand {
  static description = "a job's finished runs, newest first (for a job with dependencies, its pipeline runs too)"
  static args = { job: Args.string({ required: true, description: 'job id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/job-history.ts'), await this.parse(JobHistory))
  }
}

import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, jsonFlag, masterFlag } from '../base.ts'

export default class JobShow extends ClientCommand {
  static description = "a job's spec, schedules, active runs and history; for a job with dependencies, its pipeline drawn with each step's state in the latest pipeline run"
  static examples = ['meso job show backup', 'meso job show release --json']
  static args = { job: Args.string({ required: true, description: 'job id' }) }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag, json: jsonFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/job-show.ts'), await this.parse(JobShow))
  }
}

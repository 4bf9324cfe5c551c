import { Args } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class JobStop extends ClientCommand {
  static description = "stop a run of a job (its task is killed); for a pipeline run, the steps running now are stopped and the steps after them skipped"
  static examples = ['meso job stop backup 20261206234501abcde']
  static args = {
    job: Args.string({ required: true, description: 'job id' }),
    run: Args.string({ required: true, description: "run id (see 'meso job show JOB')" }),
  }
  static flags = { master: masterFlag, 'ca-cert': caCertFlag }

  async run() {
    await this.handle(() => import('../../cli/handlers/job-stop.ts'), await this.parse(JobStop))
  }
}

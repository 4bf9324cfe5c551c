import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class JobRun extends ClientCommand {
  static description = "start a run of a job (for a job with dependencies: its pipeline) and print the run id; --wait follows it, streaming its output, and exits with its task's exit code"
  static examples = [
    'meso job run backup',
    'meso job run backup --wait',
    'meso job run release --wait',
    'meso job run release --from build-mac --wait',
  ]
  static args = { job: Args.string({ required: true, description: 'job id' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    wait: Flags.boolean({ char: 'w', description: "follow the run to its end: its output here, exit code the task's (a pipeline: non-zero when a step failed)" }),
    from: Flags.string({ description: "pipelines: run again from this step of the latest run, reusing the steps that succeeded", helpValue: 'STEP' }),
    json: Flags.boolean({ description: 'print the run object the master answered (not with --wait)' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/job-run.ts'), await this.parse(JobRun))
  }
}

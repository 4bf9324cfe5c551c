import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class JobCreate extends ClientCommand {
  static description = "create jobs from a Metronome job spec file, JSON or YAML ('-': stdin); a file may hold several jobs (a pipeline), created dependencies first"
  static examples = [
    'meso job create backup.json',
    'meso job create pipeline.yaml',
    'meso job create --replace backup.json',
    "echo '{\"id\": \"hello\", \"run\": {\"cmd\": \"echo hi\", \"cpus\": 0.1, \"mem\": 32}}' | meso job create -",
  ]
  static args = { file: Args.string({ required: true, description: "job spec file (JSON or YAML; a list or YAML documents for several jobs), '-' for stdin" }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    replace: Flags.boolean({ description: 'replace jobs that exist already (their schedules are kept)' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/job-create.ts'), await this.parse(JobCreate))
  }
}

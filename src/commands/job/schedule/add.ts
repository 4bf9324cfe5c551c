import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../../base.ts'

export default class JobScheduleAdd extends ClientCommand {
  static description = 'add a cron schedule to a job (Metronome schedule spec); --replace changes an existing one'
  static examples = [
    "meso job schedule add backup --cron '0 3 * * *'",
    "meso job schedule add backup nightly --cron '30 1 * * *' --timezone Europe/Paris --concurrency-policy FORBID --starting-deadline 600",
  ]
  static args = {
    job: Args.string({ required: true, description: 'job id' }),
    schedule: Args.string({ description: "schedule id (lowercase letters, digits, dashes; default 'default')" }),
  }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    cron: Flags.string({ description: "when to run, a cron expression: 'MIN HOUR DOM MON DOW' (required)", helpValue: 'EXPR' }),
    timezone: Flags.string({ description: 'IANA time zone of the cron expression (default UTC)', helpValue: 'TZ' }),
    'concurrency-policy': Flags.string({ options: ['ALLOW', 'FORBID'], description: 'when a run is due while one is active: ALLOW starts another, FORBID skips it (default ALLOW)' }),
    'starting-deadline': Flags.integer({ description: 'a run that cannot start within this many seconds of its time is skipped', helpValue: 'SECONDS' }),
    disabled: Flags.boolean({ description: 'create it disabled' }),
    replace: Flags.boolean({ description: 'replace the schedule with this id if the job has one' }),
  }

  async run() {
    await this.handle(() => import('../../../cli/handlers/job-schedule-add.ts'), await this.parse(JobScheduleAdd))
  }
}

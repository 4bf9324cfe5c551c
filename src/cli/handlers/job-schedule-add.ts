import type JobScheduleAdd from '../../commands/job/schedule/add.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { JobApiError, JobsClient, type ScheduleSpec } from '../../client/jobs.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof JobScheduleAdd>): Promise<void> {
  if (!flags.cron?.trim()) throw new CliError("missing --cron EXPR (e.g. --cron '0 3 * * *'); see 'meso job schedule add --help'", EXIT.USAGE)
  const deadline = flags['starting-deadline']
  if (deadline !== undefined && deadline < 1) throw new CliError(`--starting-deadline must be at least 1 second, got ${deadline}`, EXIT.USAGE)
  const spec: ScheduleSpec = {
    id: args.schedule ?? 'default',
    cron: flags.cron.trim(),
    ...(flags.timezone ? { timezone: flags.timezone } : {}),
    ...(flags['concurrency-policy'] ? { concurrencyPolicy: flags['concurrency-policy'] as ScheduleSpec['concurrencyPolicy'] } : {}),
    ...(deadline !== undefined ? { startingDeadlineSeconds: deadline } : {}),
    enabled: !flags.disabled,
  }
  const jobs = new JobsClient(masterUrl(flags.master))
  let saved: ScheduleSpec | undefined
  let verb = 'added to'
  if (flags.replace) {
    try {
      saved = await jobs.replaceSchedule(args.job, spec)
      verb = 'replaced on'
    } catch (err) {
      if (!(err instanceof JobApiError && err.status === 404 && /schedule/i.test(err.serverMessage))) throw err
    }
  }
  if (!saved) {
    try {
      saved = await jobs.addSchedule(args.job, spec)
    } catch (err) {
      if (err instanceof JobApiError && err.status === 409 && /already exists/i.test(err.serverMessage)) err.message += `; replace it with 'meso job schedule add --replace'`
      throw err
    }
  }
  const next = saved?.nextRunAt ? `, next run ${saved.nextRunAt}` : ''
  console.log(`schedule ${spec.id} ${verb} job ${args.job}${next}`)
}

import type JobScheduleList from '../../commands/job/schedule/list.ts'
import { masterUrl } from '../../client/cluster.ts'
import { JobsClient } from '../../client/jobs.ts'
import { printJson } from '../../client/output.ts'
import type { ParsedFor } from '../parsed.ts'
import { scheduleTable } from './job-format.ts'

export async function execute({ flags, args }: ParsedFor<typeof JobScheduleList>): Promise<void> {
  const list = await new JobsClient(masterUrl(flags.master)).schedules(args.job)
  if (flags.json) { printJson(list); return }
  if (!list.length) { console.log(`job ${args.job} has no schedules; add one with 'meso job schedule add ${args.job} --cron EXPR'`); return }
  console.log(scheduleTable(list))
}

import type JobScheduleRm from '../../commands/job/schedule/rm.ts'
import { masterUrl } from '../../client/cluster.ts'
import { JobsClient } from '../../client/jobs.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof JobScheduleRm>): Promise<void> {
  await new JobsClient(masterUrl(flags.master)).removeSchedule(args.job, args.schedule)
  console.log(`schedule ${args.schedule} of job ${args.job} removed`)
}

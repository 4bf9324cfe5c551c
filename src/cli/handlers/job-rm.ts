import type JobRm from '../../commands/job/rm.ts'
import { masterUrl } from '../../client/cluster.ts'
import { JobApiError, JobsClient } from '../../client/jobs.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof JobRm>): Promise<void> {
  try {
    await new JobsClient(masterUrl(flags.master)).remove(args.job, flags['stop-runs'])
  } catch (err) {
    if (err instanceof JobApiError && err.status === 409 && !flags['stop-runs'] && /active/i.test(err.serverMessage)) err.message += `; stop them with 'meso job rm --stop-runs ${args.job}'`
    throw err
  }
  console.log(`job ${args.job} removed`)
}

import type JobStop from '../../commands/job/stop.ts'
import { masterUrl } from '../../client/cluster.ts'
import { JobApiError, JobsClient, type PipelineRun } from '../../client/jobs.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof JobStop>): Promise<void> {
  const jobs = new JobsClient(masterUrl(flags.master))
  try {
    await jobs.stop(args.job, args.run)
    console.log(`run ${args.run} of job ${args.job} stopped`)
    return
  } catch (err) {
    if (!(err instanceof JobApiError && err.status === 404)) throw err
    // Not a run of the job itself: a pipeline run of it? Then stopping its running steps fails them, and the
    // jobs service skips everything after them.
    const pipelineRun = await pipelineRunOrUndefined(jobs, args.job, args.run)
    if (!pipelineRun) throw err
    const active = pipelineRun.steps.filter(s => s.status === 'ACTIVE' && s.runId)
    if (pipelineRun.status !== 'ACTIVE' || !active.length) {
      console.log(`pipeline run ${args.run} of job ${args.job} is not running (${pipelineRun.status})`)
      return
    }
    for (const s of active) await jobs.stop(s.jobId, s.runId!)
    console.log(`pipeline run ${args.run} of job ${args.job} stopped: ${active.map(s => `step ${s.jobId} (run ${s.runId})`).join(', ')}`)
  }
}

async function pipelineRunOrUndefined(jobs: JobsClient, job: string, run: string): Promise<PipelineRun | undefined> {
  try { return await jobs.pipelineRun(job, run) } catch (err) {
    if (err instanceof JobApiError && err.status === 404) return undefined
    throw err
  }
}

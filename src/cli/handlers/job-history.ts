import type JobHistory from '../../commands/job/history.ts'
import { masterUrl } from '../../client/cluster.ts'
import { epochSeconds, JobsClient, type FinishedRun, type PipelineRun } from '../../client/jobs.ts'
import { ago, color, printJson, table } from '../../client/output.ts'
import { stepSummary } from '../../client/pipeline-progress.ts'
import type { ParsedFor } from '../parsed.ts'
import { duration, statePainter } from './job-format.ts'

export async function execute({ flags, args }: ParsedFor<typeof JobHistory>): Promise<void> {
  const jobs = new JobsClient(masterUrl(flags.master))
  const job = await jobs.get(args.job, ['history'])
  const history = job.history ?? { successCount: 0, failureCount: 0 }
  const pipelineRuns = job.dependencies?.length ? await jobs.pipelineRuns(args.job) : undefined
  if (flags.json) { printJson(pipelineRuns ? { ...history, pipelineRuns } : history); return }
  const paint = statePainter(color)
  const runs: (FinishedRun & { status: string })[] = [
    ...(history.successfulFinishedRuns ?? []).map(r => ({ ...r, status: 'SUCCESS' })),
    ...(history.failedFinishedRuns ?? []).map(r => ({ ...r, status: 'FAILED' })),
  ].sort((a, b) => (epochSeconds(b.finishedAt) ?? 0) - (epochSeconds(a.finishedAt) ?? 0))
  console.log(`job ${args.job}: ${history.successCount} succeeded (last ${ago(epochSeconds(history.lastSuccessAt))}), ${history.failureCount} failed (last ${ago(epochSeconds(history.lastFailureAt))})`)
  if (pipelineRuns) {
    console.log('')
    console.log(pipelineTable(pipelineRuns, paint))
  }
  if (!runs.length) { if (!pipelineRuns) console.log('no finished runs'); return }
  console.log('')
  console.log(table(['RUN', 'STATUS', 'STARTED', 'DURATION', 'TASKS'], runs.map(r => [
    r.id, paint(r.status, r.status), ago(epochSeconds(r.createdAt)), duration(r.createdAt, r.finishedAt), r.tasks?.join(', ') || '-',
  ])))
}

function pipelineTable(list: readonly PipelineRun[], paint: ReturnType<typeof statePainter>): string {
  if (!list.length) return 'no pipeline runs'
  return table(['PIPELINE RUN', 'STATUS', 'STARTED', 'DURATION', 'STEPS'], list.map(r => [
    r.id, paint(r.status, r.status), ago(epochSeconds(r.createdAt)), duration(r.createdAt, r.finishedAt), stepSummary(r.steps),
  ]))
}

import type JobList from '../../commands/job/list.ts'
import { masterUrl } from '../../client/cluster.ts'
import { JobsClient, epochSeconds } from '../../client/jobs.ts'
import { ago, color, printJson, table } from '../../client/output.ts'
import type { ParsedFor } from '../parsed.ts'
import { lastRunStatus, schedulesCell, statePainter } from './job-format.ts'

export async function execute({ flags }: ParsedFor<typeof JobList>): Promise<void> {
  const jobs = await new JobsClient(masterUrl(flags.master)).list(['activeRuns', 'schedules', 'historySummary'])
  if (flags.json) { printJson(jobs); return }
  if (!jobs.length) { console.log("no jobs; create one with 'meso job create FILE'"); return }
  const paint = statePainter(color)
  const rows = [...jobs].sort((a, b) => (a.id < b.id ? -1 : 1)).map(j => {
    const last = lastRunStatus(j)
    return [
      j.id,
      j.description || '-',
      j.dependencies?.length ? j.dependencies.map(d => d.id).join(',') : '-',
      schedulesCell(j.schedules),
      paint(last, last),
      ago(epochSeconds(j.historySummary?.lastSuccessAt)),
    ]
  })
  console.log(table(['ID', 'DESCRIPTION', 'AFTER', 'SCHEDULES', 'LAST RUN', 'LAST SUCCESS'], rows))
}

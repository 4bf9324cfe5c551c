import type JobShow from '../../commands/job/show.ts'
import { masterUrl } from '../../client/cluster.ts'
import { epochSeconds, JobsClient, type JobInfo, type PipelineRun } from '../../client/jobs.ts'
import { ago, color, printJson, table } from '../../client/output.ts'
import { stepSummary } from '../../client/pipeline-progress.ts'
import { renderDag } from '../dag-render.ts'
import type { ParsedFor } from '../parsed.ts'
import { helpWidth } from '../text-wrap.ts'
import { commandOf, runSteps, scheduleTable, specSteps, statePainter } from './job-format.ts'

export async function execute({ flags, args }: ParsedFor<typeof JobShow>): Promise<void> {
  const jobs = new JobsClient(masterUrl(flags.master))
  const job = await jobs.get(args.job, ['activeRuns', 'schedules', 'historySummary'])
  const isPipeline = !!job.dependencies?.length
  const latest = isPipeline ? (await jobs.pipelineRuns(args.job))[0] : undefined
  if (flags.json) { printJson(isPipeline ? { ...job, pipelineRun: latest ?? null } : job); return }

  const paint = statePainter(color)
  const r = job.run
  const resources = [`cpus ${r.cpus ?? 1}`, `mem ${r.mem ?? 128} MB`, `disk ${r.disk ?? 0} MB`, ...(r.gpus ? [`gpus ${r.gpus}`] : [])].join(', ')
  const summary = job.historySummary
  const fields: [string, string | undefined][] = [
    ['job', job.id],
    ['description', job.description],
    ['command', commandOf(job)],
    ['image', r.docker?.image ?? r.ucr?.image?.id],
    ['resources', resources],
    ['user', r.user],
    ['restart', r.restart ? `${r.restart.policy ?? 'NEVER'}${r.restart.activeDeadlineSeconds ? ` (for at most ${r.restart.activeDeadlineSeconds}s)` : ''}` : undefined],
    ['after', isPipeline ? job.dependencies!.map(d => d.id).join(', ') : undefined],
    ['labels', Object.entries(job.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(' ') || undefined],
    ['runs', summary ? `${summary.successCount} succeeded (last ${ago(epochSeconds(summary.lastSuccessAt))}), ${summary.failureCount} failed (last ${ago(epochSeconds(summary.lastFailureAt))})` : undefined],
  ]
  const shown = fields.filter((f): f is [string, string] => !!f[1])
  const keyWidth = Math.max(...shown.map(([k]) => k.length))
  for (const [k, v] of shown) console.log(`${color.bold(k.padEnd(keyWidth))}  ${v}`)

  console.log('')
  console.log(job.schedules?.length ? scheduleTable(job.schedules) : 'no schedules')
  console.log('')
  const active = job.activeRuns ?? []
  if (active.length) {
    console.log(table(['ACTIVE RUN', 'STATUS', 'STARTED', 'TASKS'], active.map(a => [
      a.id, paint(a.status, a.status), ago(epochSeconds(a.createdAt)), a.tasks.map(t => `${t.id} ${t.status}`).join(', ') || '-',
    ])))
  } else {
    console.log('no active runs')
  }
  if (isPipeline) {
    console.log('')
    for (const line of await pipelineLines(jobs, job, latest, paint)) console.log(line)
  }
}

/** The pipeline drawn with the states of its latest run, or from the specs when it never ran. */
async function pipelineLines(jobs: JobsClient, job: JobInfo, latest: PipelineRun | undefined, paint: ReturnType<typeof statePainter>): Promise<string[]> {
  const width = helpWidth(process.env, process.stdout)
  if (latest) {
    const head = `pipeline run ${latest.id}: ${paint(latest.status, latest.status)}, started ${ago(epochSeconds(latest.createdAt))}, ${stepSummary(latest.steps)}`
    return [head, ...renderDag(runSteps(latest), { width, paint })]
  }
  const all = new Map((await jobs.list()).map(j => [j.id, j]))
  all.set(job.id, job)
  return [`pipeline (never run; start it with 'meso job run ${job.id}')`, ...renderDag(specSteps(job.id, all), { width, paint })]
}

import { Chalk } from 'chalk'
import type JobRun from '../../commands/job/run.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { exitCodeOfSignal } from '../../core/exit-status.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { followJobRun, followPipelineRun } from '../../client/job-run-wait.ts'
import { isPipelineRun, JobsClient } from '../../client/jobs.ts'
import { printJson } from '../../client/output.ts'
import { renderDag } from '../dag-render.ts'
import type { ParsedFor } from '../parsed.ts'
import { helpWidth } from '../text-wrap.ts'
import { runSteps, statePainter } from './job-format.ts'

export async function execute({ flags, args }: ParsedFor<typeof JobRun>): Promise<number> {
  if (flags.json && flags.wait) throw new CliError('--json prints the run the master started; with --wait the output is the run\'s own: use one of them', EXIT.USAGE)
  const jobs = new JobsClient(masterUrl(flags.master))
  if (flags.from !== undefined) {
    const job = await jobs.get(args.job)
    if (!job.dependencies?.length) throw new CliError(`--from names a step of a pipeline, and job '${args.job}' has no dependencies; run it without --from`, EXIT.USAGE)
  }
  const started = await jobs.start(args.job, flags.from)
  if (flags.json) { printJson(started); return 0 }
  if (!flags.wait) { console.log(started.id); return 0 }

  // Progress goes to stderr, so its colours follow stderr; the run's own output is passed through untouched.
  const errColor = new Chalk({ level: process.stderr.isTTY && !process.env.NO_COLOR ? 1 : 0 })
  const note = (line: string) => process.stderr.write(`${line}\n`)
  let following = `run ${started.id} of job '${args.job}'`
  const onSigint = () => {
    note(`\nstopped following ${following}; it goes on (stop it with 'meso job stop ${args.job} ${started.id}')`)
    process.exit(exitCodeOfSignal('SIGINT'))
  }
  process.on('SIGINT', onSigint)
  try {
    const out = { stdout: process.stdout, stderr: process.stderr }
    if (isPipelineRun(started)) {
      following = `pipeline run ${started.id} of job '${args.job}'`
      note(`pipeline run ${started.id} of job '${args.job}' started: ${started.steps.length} steps${flags.from ? `, from ${flags.from}` : ''}`)
      const { run, code } = await followPipelineRun(jobs, args.job, started.id, out, note, p => errColor.cyan(p))
      const width = helpWidth(process.env, process.stderr)
      for (const line of renderDag(runSteps(run), { width, paint: statePainter(errColor) })) note(line)
      return code
    }
    note(`run ${started.id} of job '${args.job}' started`)
    const outcome = await followJobRun(jobs, args.job, started.id, out, note)
    if (outcome.code !== 0 && outcome.why) note(`error: run ${started.id} of job '${args.job}' ${outcome.status}: ${outcome.why}`)
    return outcome.code
  } finally {
    process.off('SIGINT', onSigint)
  }
}

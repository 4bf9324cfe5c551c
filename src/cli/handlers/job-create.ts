import { readFileSync, statSync } from 'node:fs'
import type JobCreate from '../../commands/job/create.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { JobFileError, MAX_JOB_FILE_BYTES, parseJobSpecs } from '../../client/job-spec-file.ts'
import { JobApiError, JobsClient } from '../../client/jobs.ts'
import type { ParsedFor } from '../parsed.ts'

async function readSpecText(file: string): Promise<string> {
  if (file === '-') {
    if (process.stdin.isTTY) throw new CliError("'-' reads the job spec from stdin, which is a terminal; pipe a file in or name it", EXIT.USAGE)
    const bytes = await Bun.stdin.arrayBuffer()
    if (bytes.byteLength > MAX_JOB_FILE_BYTES) throw new CliError(`the job spec on stdin is larger than ${MAX_JOB_FILE_BYTES} bytes`, EXIT.USAGE)
    return new TextDecoder().decode(bytes)
  }
  try {
    if (statSync(file).size > MAX_JOB_FILE_BYTES) throw new CliError(`${file} is larger than ${MAX_JOB_FILE_BYTES} bytes; is it a job spec?`, EXIT.USAGE)
    return readFileSync(file, 'utf8')
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.USAGE)
  }
}

export async function execute({ flags, args }: ParsedFor<typeof JobCreate>): Promise<void> {
  const source = args.file === '-' ? 'stdin' : args.file
  let specs
  try { specs = parseJobSpecs(await readSpecText(args.file), source) } catch (err) {
    if (err instanceof JobFileError) throw new CliError(err.message, EXIT.USAGE)
    throw err
  }
  const jobs = new JobsClient(masterUrl(flags.master))
  const done: string[] = []
  for (const spec of specs) {
    try {
      if (flags.replace) {
        try {
          await jobs.replace(spec)
          console.log(`job ${spec.id} replaced`)
          done.push(spec.id)
          continue
        } catch (err) {
          if (!(err instanceof JobApiError && err.status === 404)) throw err
        }
      }
      await jobs.create(spec)
      console.log(`job ${spec.id} created`)
      done.push(spec.id)
    } catch (err) {
      if (err instanceof JobApiError && err.status === 409 && !flags.replace) err.message += `; replace it with 'meso job create --replace ${args.file}'`
      if (done.length && err instanceof Error) err.message += ` (done before: ${done.join(', ')})`
      throw err
    }
  }
}

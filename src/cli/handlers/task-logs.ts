import type TaskLogs from '../../commands/task/logs.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { taskLogs, type LogStream } from '../../client/task-logs.ts'

export async function execute({ flags, args }: ParsedFor<typeof TaskLogs>): Promise<number> {
  if (flags.tail !== undefined && flags.tail < 0) throw new CliError('--tail must be >= 0', EXIT.USAGE)
  if (flags.stderr && flags.stream && flags.stream !== 'stderr') throw new CliError(`--stderr contradicts --stream ${flags.stream}`, EXIT.USAGE)
  const stream = (flags.stream ?? (flags.stderr ? 'stderr' : 'stdout')) as LogStream
  return taskLogs(masterUrl(flags.master), args.task, { follow: flags.follow, stream, tail: flags.tail })
}

import type { ParsedCommand } from '../../cli/parsed.ts'
import { CliError, masterUrl } from '../cluster.ts'
import { taskLogs } from '../task-logs.ts'

export async function execute({ flags, args }: ParsedCommand): Promise<number> {
  if (flags.tail !== undefined && flags.tail < 0) throw new CliError('--tail must be >= 0', 2)
  return taskLogs(masterUrl(flags.master), args.task!, { follow: flags.follow, stream: flags.stderr ? 'stderr' : 'stdout', tail: flags.tail })
}

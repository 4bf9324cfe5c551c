import { commandAfterDashDash } from '../command-after-dashdash.ts'
import type TaskExec from '../../commands/task/exec.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { execInTask } from '../../client/container-session.ts'

export async function execute({ flags, args, argv }: ParsedFor<typeof TaskExec>): Promise<number> {
  const cmd = commandAfterDashDash(argv.slice(1))
  if (!cmd.length) throw new CliError('no command given; usage: meso task exec [-i] [-t] TASK -- CMD [ARGS...]', EXIT.USAGE)
  if (flags.tty && !process.stdin.isTTY) throw new CliError('-t needs a terminal on stdin', EXIT.USAGE)
  return execInTask(masterUrl(flags.master), args.task, cmd, { interactive: flags.interactive, tty: flags.tty })
}

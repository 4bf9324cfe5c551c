import { commandAfterDashDash } from '../../cli/command-after-dashdash.ts'
import type { ParsedCommand } from '../../cli/parsed.ts'
import { CliError, masterUrl } from '../cluster.ts'
import { execInTask } from '../container-session.ts'

export async function execute({ flags, args, argv }: ParsedCommand): Promise<number> {
  const cmd = commandAfterDashDash(argv.slice(1))
  if (!cmd.length) throw new CliError('no command given; usage: meso task exec [-i] [-t] TASK -- CMD [ARGS...]', 2)
  if (flags.tty && !process.stdin.isTTY) throw new CliError('-t needs a terminal on stdin', 2)
  return execInTask(masterUrl(flags.master), args.task!, cmd, { interactive: flags.interactive, tty: flags.tty })
}

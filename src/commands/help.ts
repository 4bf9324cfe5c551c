import { Args, Command } from '@oclif/core'

// `meso help X` is rewritten to `meso X --help` before dispatch (src/cli/builtin-invocations.ts), so the fast path
// answers it; this class lists the command in the root help and renders help when it is invoked as a command.
export default class HelpCommand extends Command {
  static description = 'show help for meso, a topic or a command'
  static examples = ['$ meso help task run']
  static strict = false
  static args = { command: Args.string({ description: 'topic or command, e.g. task run' }) }

  async run() {
    const { argv } = await this.parse(HelpCommand)
    const { MesoHelp } = await import('../cli/meso-help.ts')
    const { helpWidth } = await import('../cli/text-wrap.ts')
    await new MesoHelp(this.config, { stripAnsi: true, maxWidth: helpWidth(process.env, process.stdout) }).showHelp(argv.map(String))
  }
}

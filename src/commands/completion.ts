import { Args, Command } from '@oclif/core'
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from '../cli/completion-scripts.ts'

export default class Completion extends Command {
  static description = 'print a shell completion script (commands, flags, and task names from the cluster)'
  static examples = [
    '$ meso completion bash > /etc/bash_completion.d/meso        # or: source <(meso completion bash) in ~/.bashrc',
    '$ meso completion zsh > "${fpath[1]}/_meso"                 # then restart zsh (compinit must be on)',
    '$ meso completion fish > ~/.config/fish/completions/meso.fish',
  ]
  static args = { shell: Args.string({ required: true, options: [...COMPLETION_SHELLS], description: 'the shell to complete for' }) }

  async run() {
    const { args } = await this.parse(Completion)
    process.stdout.write(completionScript(args.shell as CompletionShell))
  }
}

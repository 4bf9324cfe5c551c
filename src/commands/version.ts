import { Command } from '@oclif/core'
import { mesoUserAgent } from '../cli/user-agent.ts'

// `meso version` and `meso -v` are rewritten to `meso --version` before dispatch (src/cli/builtin-invocations.ts);
// this class lists the command in the root help and answers when it is invoked as a command.
export default class VersionCommand extends Command {
  static description = "print meso's version (also: meso --version, meso -v)"

  async run() {
    await this.parse(VersionCommand)
    this.log(mesoUserAgent(this.config))
  }
}

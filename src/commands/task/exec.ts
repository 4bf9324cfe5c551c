import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class TaskExec extends ClientCommand {
  static description = "run a command inside a running task's container (its namespaces and root filesystem); exits with the command's exit code"
  static strict = false
  static usage = 'task exec [-i] [-t] TASK -- CMD [ARGS...]'
  static examples = [
    "$ meso task exec web -- sh -c 'ls /; hostname'",
    '$ echo hello | meso task exec -i web -- cat',
    '$ meso task exec -it web -- sh        # interactive shell; ~. at the start of a line disconnects',
  ]
  static args = { task: Args.string({ required: true, description: 'task id, unique id prefix, or name' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    interactive: Flags.boolean({ char: 'i', description: 'keep stdin open and send it to the command' }),
    tty: Flags.boolean({ char: 't', description: 'allocate a terminal (raw mode, window size forwarded)' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/task-exec.ts'), await this.parse(TaskExec))
  }
}

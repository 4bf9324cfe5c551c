import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class TaskAttach extends ClientCommand {
  static description = "attach to a running task: its console when it has a TTY (detach with Ctrl-P Ctrl-Q), else its output from now on"
  static args = { task: Args.string({ required: true, description: 'task id, unique id prefix, or name' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    'no-stdin': Flags.boolean({ description: 'do not send input, only show output' }),
    'detach-keys': Flags.string({ description: 'key sequence that detaches', default: 'ctrl-p,ctrl-q' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/task-attach.ts'), await this.parse(TaskAttach))
  }
}

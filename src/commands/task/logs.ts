import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class TaskLogs extends ClientCommand {
  static description = "print a task's stdout (or --stderr) from its sandbox; -f follows until the task ends"
  static args = { task: Args.string({ required: true, description: 'task id, unique id prefix, or name (completed tasks too)' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    follow: Flags.boolean({ char: 'f', description: 'keep printing new output until the task ends' }),
    stderr: Flags.boolean({ description: 'stderr instead of stdout' }),
    tail: Flags.integer({ char: 'n', description: 'only the last N lines' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/task-logs.ts'), await this.parse(TaskLogs))
  }
}

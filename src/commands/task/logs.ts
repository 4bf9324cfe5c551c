import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class TaskLogs extends ClientCommand {
  static description = "print a task's stdout (or --stderr, or --stream both) from its sandbox, rotated files included; -f follows until the task ends"
  static args = { task: Args.string({ required: true, description: 'task id, unique id prefix, or name (completed tasks too)' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    follow: Flags.boolean({ char: 'f', description: 'keep printing new output until the task ends (across log rotations)' }),
    stderr: Flags.boolean({ description: 'stderr instead of stdout (same as --stream stderr)' }),
    stream: Flags.string({ options: ['stdout', 'stderr', 'both'], description: 'which output: both prints stdout here and stderr on stderr, interleaved in arrival order while following' }),
    tail: Flags.integer({ char: 'n', description: 'only the last N lines (of the current file of each stream)' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/task-logs.ts'), await this.parse(TaskLogs))
  }
}

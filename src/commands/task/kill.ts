import { Args, Flags } from '@oclif/core'
import { ClientCommand, caCertFlag, masterFlag } from '../base.ts'

export default class TaskKill extends ClientCommand {
  static description = 'kill a task (by id, unique id prefix, or name)'
  static args = { task: Args.string({ required: true, description: 'task id, id prefix or name' }) }
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    grace: Flags.integer({ description: 'seconds between SIGTERM and SIGKILL (default: the task\'s kill policy)' }),
    wait: Flags.boolean({ description: 'wait until the task is terminal', default: true, allowNo: true }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/task-kill.ts'), await this.parse(TaskKill))
  }
}

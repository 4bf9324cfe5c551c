import { Flags } from '@oclif/core'
import { ClientCommand, jsonFlag, caCertFlag, masterFlag } from '../base.ts'

export default class TaskList extends ClientCommand {
  static description = 'list tasks (active ones; --all adds completed tasks)'
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    json: jsonFlag,
    all: Flags.boolean({ char: 'a', description: 'include completed tasks' }),
    quiet: Flags.boolean({ char: 'q', description: 'print task ids only, one a line (for scripts: meso task kill $(meso task list -q))' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/task-list.ts'), await this.parse(TaskList))
  }
}

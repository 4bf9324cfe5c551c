import type ServiceTasks from '../../commands/service/tasks.ts'
import { masterUrl } from '../../client/cluster.ts'
import { printJson, table } from '../../client/output.ts'
import { absoluteAppId, ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { TASK_HEADERS, taskRow } from '../service-table.ts'

export async function execute({ flags, args }: ParsedFor<typeof ServiceTasks>): Promise<void> {
  const id = absoluteAppId(args.id)
  const tasks = await new ServicesClient(masterUrl(flags.master)).tasks(id)
  if (flags.json) { printJson(tasks); return }
  if (!tasks.length) { console.log(`service ${id} has no tasks`); return }
  console.log(table(TASK_HEADERS, [...tasks].sort((a, b) => (a.id < b.id ? -1 : 1)).map(taskRow)))
}

import type ServiceShow from '../../commands/service/show.ts'
import { masterUrl } from '../../client/cluster.ts'
import { color, printJson, table } from '../../client/output.ts'
import { absoluteAppId, ServicesClient } from '../../client/services.ts'
import type { ParsedFor } from '../parsed.ts'
import { queued, sinceText, unusedOfferLines, waitingLine } from '../service-offers.ts'
import { instancesText, readinessText, stepText } from '../service-progress.ts'
import { appSummary, TASK_HEADERS, taskRow } from '../service-table.ts'

export async function execute({ flags, args }: ParsedFor<typeof ServiceShow>): Promise<void> {
  const id = absoluteAppId(args.id)
  const client = new ServicesClient(masterUrl(flags.master))
  const [app, deployments, queue] = await Promise.all([
    client.get(id, ['apps.tasks', 'apps.counts', 'apps.deployments', 'apps.readiness', 'apps.lastTaskFailure']),
    client.deployments(),
    client.queue(),
  ])
  const mine = deployments.filter(d => (d.affectedApps ?? []).includes(id))
  const waiting = queued(queue, id) ?? null
  if (flags.json) { printJson({ app, deployments: mine, queue: waiting }); return }

  const now = Date.now()
  const fields = appSummary(app)
  fields.splice(1, 0, ['instances', instancesText(app)])
  const f = app.lastTaskFailure
  if (f) fields.push(['last failure', `${f.state ?? 'failed'}${f.host ? ` on ${f.host}` : ''}${f.timestamp ? ` ${sinceText(f.timestamp, now) ?? '?'} ago` : ''}: ${(f.message ?? '').replace(/\s*\n\s*/g, ' ')}`])
  const keyWidth = Math.max(...fields.map(([k]) => k.length))
  for (const [k, v] of fields) console.log(`${color.bold(k.padEnd(keyWidth))}  ${v}`)

  console.log('')
  if (!mine.length) console.log('no deployment in progress')
  for (const d of mine) {
    console.log(`deployment ${d.id}: ${stepText(d)}${sinceText(d.version, now) ? `, started ${sinceText(d.version, now)} ago` : ''}`)
    if (d.reason) console.log(`  waiting on: ${d.reason}`)
    const readiness = readinessText(d)
    if (readiness) console.log(`  ${readiness}`)
  }
  if (waiting && waiting.count > 0) {
    console.log(waitingLine(waiting, now))
    for (const line of unusedOfferLines(waiting.lastUnusedOffers ?? [], now)) console.log(`  ${line}`)
  }
  console.log('')
  const tasks = app.tasks ?? []
  console.log(tasks.length ? table(TASK_HEADERS, [...tasks].sort((a, b) => (a.id < b.id ? -1 : 1)).map(taskRow)) : 'no tasks')
}

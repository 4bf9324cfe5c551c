import { existsSync } from 'node:fs'
import type ImageLoad from '../../commands/image/load.ts'
import { CliError, masterUrl } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { loadImage, targetAgents } from '../../client/images.ts'
import { formatBytes } from '../../client/pull-progress.ts'
import type { ParsedFor } from '../parsed.ts'

export async function execute({ flags, args }: ParsedFor<typeof ImageLoad>): Promise<number> {
  if (!existsSync(args.file)) throw new CliError(`no such file: ${args.file}`, EXIT.USAGE)
  const agents = await targetAgents(masterUrl(flags.master), flags.agent)
  const results = await Promise.allSettled(agents.map(a => loadImage(a, args.file, flags.name)))
  let failed = 0
  results.forEach((r, i) => {
    if (r.status === 'rejected') { failed++; process.stderr.write(`error: ${(r.reason as Error).message}\n`); return }
    for (const img of r.value.images) process.stderr.write(`${agents[i]!.address}: loaded ${img.reference} (${img.layers} layers, ${formatBytes(img.size)})\n`)
  })
  const names = new Set(results.flatMap(r => (r.status === 'fulfilled' ? r.value.images.map(i => `${i.reference}@${i.digest}`) : [])))
  for (const n of names) process.stdout.write(`${n}\n`)
  return failed ? EXIT.FAILED : EXIT.OK
}

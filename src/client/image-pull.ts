// `meso image pull REF`: pulls on every agent (or the one --agent names) at once, showing per-layer progress (ink bars
// on a TTY, plain lines otherwise, both on stderr) and printing `REF@DIGEST` on stdout for scripts.

import type { RegistryCredentials } from '../core/registry/docker-config.ts'
import { pullOnAgent, targetAgents, type PullRecord } from './images.ts'
import { PlainPullPrinter, PullProgress } from './pull-progress.ts'

export async function pullImage(o: { master: string; reference: string; agent?: string; credentials?: RegistryCredentials }): Promise<number> {
  const agents = await targetAgents(o.master, o.agent)
  const labels = agents.map(a => a.address)
  const progress = new PullProgress(labels)
  const tty = !!process.stderr.isTTY
  const printer = tty ? undefined : new PlainPullPrinter(progress, line => process.stderr.write(`${line}\n`))
  const feed = (label: string, r: PullRecord) => (printer ? printer.onRecord(label, r) : progress.apply(label, r))
  const all = Promise.all(agents.map((a, i) => pullOnAgent(a, o.reference, o.credentials, r => feed(labels[i]!, r)).catch(err => {
    const r: PullRecord = { type: 'error', message: (err as Error).message }
    feed(labels[i]!, r)
    return r
  })))
  if (tty) {
    const { renderPullProgress } = await import('./pull-progress-view.tsx')
    await renderPullProgress(progress, all)
  }
  const finals = await all
  const pulled = new Set<string>()
  let failed = 0
  finals.forEach((f, i) => {
    if (f.type === 'done') pulled.add(`${f.reference}@${f.digest}`)
    else {
      failed++
      // The ink frame stays on screen, but an error must also survive as a plain line (and in captured stderr).
      if (tty) process.stderr.write(`error: ${agents.length > 1 ? `agent ${labels[i]}: ` : ''}${f.type === 'error' ? f.message : 'pull did not finish'}\n`)
    }
  })
  for (const p of pulled) process.stdout.write(`${p}\n`)
  return failed ? 1 : 0
}

// meso agent drain AGENT [--grace D] [--mark-gone] [--no-wait]: DRAIN_AGENT (Mesos 1.9), then waits until the agent is
// DRAINED (or, with --mark-gone, gone), one progress line per change on stderr.

import type AgentDrain from '../../commands/agent/drain.ts'
import type { ParsedFor } from '../parsed.ts'
import { CliError, masterUrl, operatorCall } from '../../client/cluster.ts'
import { EXIT } from '../../client/exit-codes.ts'
import { DurationError, parseDuration } from '../../core/duration.ts'
import { listAgents, resolveAgent } from './agent-target.ts'

const POLL_MS = 500

export async function execute({ flags, args }: ParsedFor<typeof AgentDrain>): Promise<void> {
  const base = masterUrl(flags.master)
  let graceMs: number | undefined
  if (flags.grace !== undefined) {
    try { graceMs = parseDuration(flags.grace) } catch (err) { if (err instanceof DurationError) throw new CliError(`--grace: ${err.message}`, EXIT.USAGE); throw err }
    if (graceMs < 0) throw new CliError('--grace must not be negative', EXIT.USAGE)
  }
  const agent = await resolveAgent(base, args.agent)
  const drain: Record<string, unknown> = { agent_id: { value: agent.id }, mark_gone: !!flags['mark-gone'] }
  if (graceMs !== undefined) drain.max_grace_period = { seconds: Math.floor(graceMs / 1000), nanos: Math.round((graceMs % 1000) * 1e6) }
  await operatorCall(base, 'DRAIN_AGENT', { drain_agent: drain })
  process.stderr.write(`agent ${agent.id} (${agent.hostname}) is draining\n`)
  if (!flags.wait) return
  for (;;) {
    await Bun.sleep(POLL_MS)
    const now = (await listAgents(base)).find(a => a.id === agent.id)
    if (!now) { console.log(`agent ${agent.id} drained and marked gone`); return }
    if (now.drainState === 'DRAINED') { console.log(`agent ${agent.id} drained`); return }
    if (!now.drainState) throw new CliError(`agent ${agent.id} is no longer draining (reactivated meanwhile?)`)
  }
}

// `meso agent` on the fast path (src/cli/fast-dispatch.ts): the same flags, checks and start as the oclif command
// (agent.ts), without loading oclif, whose ~650 KB of modules would otherwise stay resident for the agent's whole
// life (README, Performance: idle agent RSS). Anything the strict parser does not accept, a flag value the table
// refuses and a missing --master go back to oclif, so its messages and exit codes stay the authority.

import { AGENT_FLAGS } from '../agent/flags.ts'
import { parseArgv } from '../cli/argv.ts'
import type { CommandDef } from '../cli/manifest.ts'
import { FlagError, flagStrings, normalizeArgv, resolveFlags, type FlagSpec, type TypedFlags } from '../core/flags.ts'
import { fail, runUntilSignal } from './daemon-lifecycle.ts'

export type AgentFlagValues = TypedFlags<typeof AGENT_FLAGS>

/** The line both paths print once the agent is registered and serving. */
export function agentListening(url: string, values: AgentFlagValues): string {
  return `meso agent listening at ${url}, registered with master ${values.master}`
}

/**
 * The flags as oclif's parse would give them to resolveFlags, or undefined where oclif must decide. oclif leaves a
 * boolean given neither on the command line nor in the environment undefined (the table's default applies), where
 * parseArgv says false.
 */
export function agentFlagsWithoutOclif(def: CommandDef, tokens: string[], env: Record<string, string | undefined> = process.env): Record<string, unknown> | undefined {
  const argv = normalizeArgv(tokens, AGENT_FLAGS)
  // An empty MESOS_<NAME> is read by oclif's own rules; parseArgv skips it.
  if (AGENT_FLAGS.some(s => env[`MESOS_${s.name.toUpperCase()}`] === '')) return undefined
  const parsed = parseArgv(def, argv, env)
  if (!parsed || parsed.argv.length > 0) return undefined
  const flags = { ...parsed.flags }
  for (const s of AGENT_FLAGS as readonly FlagSpec[]) {
    if (s.type !== 'bool' || flags[s.name] !== false) continue
    const names = [s.name, ...(s.aliases ?? [])]
    const given = argv.some(t => names.some(n => t === `--no-${n}`)) || env[`MESOS_${s.name.toUpperCase()}`] !== undefined
    if (!given) delete flags[s.name]
  }
  return flags
}

/** Returns false, having started nothing, when oclif should handle the invocation; otherwise runs the agent until a signal. */
export async function startAgentWithoutOclif(def: CommandDef, tokens: string[]): Promise<boolean> {
  const flags = agentFlagsWithoutOclif(def, tokens)
  if (!flags) return false
  let values: AgentFlagValues
  try {
    values = resolveFlags(AGENT_FLAGS, flags)
  } catch (err) {
    if (err instanceof FlagError) return false
    throw err
  }
  if (!values.master) return false
  const strings = flagStrings(AGENT_FLAGS, values)
  const { startAgent } = await import('../agent/server.ts')
  let running: Awaited<ReturnType<typeof startAgent>>
  try { running = await startAgent(values, strings) } catch (err) { fail(err) }
  process.stderr.write(`${agentListening(running.url, values)}\n`)
  await runUntilSignal(() => running.stop())
  return true
}

// The CLI's fast path: with the build-time manifest, `--help` is printed from the text rendered at build time (at 80
// columns: help for a terminal of another width is rendered by oclif's path) and a command with a handler module runs
// straight away when its arguments parse cleanly — oclif (about 60 ms to load) is only loaded for everything else,
// including every usage error, so its messages stay the authority.

import { parseArgv } from './argv.ts'
import { HANDLERS } from './handlers/index.ts'
import type { CliManifest } from './manifest.ts'
import { runHandler } from './run-handler.ts'
import { MANIFEST_HELP_WIDTH } from './text-wrap.ts'

/** Returns true when it handled the invocation. */
export async function fastDispatch(argv: string[], manifest: CliManifest, helpWidth = MANIFEST_HELP_WIDTH): Promise<boolean> {
  const prerendered = helpWidth === MANIFEST_HELP_WIDTH
  if (argv.length === 0 || (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help'))) {
    if (!prerendered) return false
    process.stdout.write(manifest.rootHelp)
    return true
  }
  if (argv.length === 1 && argv[0] === '--version') { process.stdout.write(`${manifest.version}\n`); return true }
  // Longest command id made of the leading words (`task run`, `agent` vs `agent list`).
  let id: string | undefined
  let used = 0
  for (let n = Math.min(argv.length, 3); n >= 1; n--) {
    const candidate = argv.slice(0, n).join(':')
    if (manifest.commands[candidate]) { id = candidate; used = n; break }
  }
  const rest = argv.slice(used)
  if (!id) {
    const topic = manifest.topics[argv[0]!]
    if (topic && prerendered && (argv.length === 1 || (argv.length === 2 && (argv[1] === '--help' || argv[1] === '-h')))) { process.stdout.write(topic); return true }
    return false
  }
  const def = manifest.commands[id]!
  const dashdash = rest.indexOf('--')
  const before = dashdash < 0 ? rest : rest.slice(0, dashdash)
  if (before.includes('--help') || before.includes('-h')) {
    if (!prerendered) return false
    process.stdout.write(def.help)
    return true
  }
  // The agent daemon has no handler (its flags are a Mesos-style table) but starts here too: oclif's modules would
  // stay resident for its whole life (src/commands/agent-start.ts).
  if (id === 'agent') return (await import('../commands/agent-start.ts')).startAgentWithoutOclif(def, rest)
  const load = def.handler ? HANDLERS[def.handler] : undefined
  if (!load) return false
  const parsed = parseArgv(def, rest)
  if (!parsed) return false
  const mod = await load()
  ;(await import('../client/tls.ts')).configureClientTls(parsed.flags)
  await runHandler(async () => {
    await (await import('../client/master-detection.ts')).resolveDetectedMaster(parsed.flags)
    return mod.execute(parsed)
  })
  return true
}

// Writes src/cli/manifest.generated.json from the oclif command classes: flag/argument definitions and the help
// meso's renderer (src/cli/meso-help.ts) gives the root, topics and every command at 80 columns without colour. The
// build embeds it so that the binary answers `--help` and runs common commands without loading oclif; help at another
// width is rendered at run time (src/main.ts). Run by scripts/build.ts.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pjson from '../package.json' with { type: 'json' }
import { COMMANDS } from '../src/commands/index.ts'
import { loadOclifConfig } from '../src/commands/oclif-config.ts'
import { HANDLERS } from '../src/cli/handlers/index.ts'
import type { CliManifest, CommandDef } from '../src/cli/manifest.ts'
import { commandDef } from './cli-manifest-builder.ts'
import { mesoUserAgent } from '../src/cli/user-agent.ts'
import { helpAsText } from '../src/cli/meso-help.ts'
import { MANIFEST_HELP_WIDTH } from '../src/cli/text-wrap.ts'

process.env.NO_COLOR = '1'
process.env.COLUMNS = String(MANIFEST_HELP_WIDTH)
const config = await loadOclifConfig(join(import.meta.dir, '..', 'src'))

const helpText = (argv: string[]) => helpAsText(config, argv, MANIFEST_HELP_WIDTH)

const rootHelp = await helpText([])
const topics: Record<string, string> = {}
for (const t of Object.keys(pjson.oclif.topics)) topics[t] = await helpText([t])
const commands: Record<string, CommandDef> = {}
for (const [id, cls] of Object.entries(COMMANDS) as [string, any][]) {
  commands[id] = await commandDef(cls, await helpText(id.split(':')), HANDLERS[id] ? id : undefined)
}

// oclif says node-vXX (Bun reports a Node version); the binary runs on Bun, so say which.
const version = mesoUserAgent(config)
const manifest: CliManifest = { version, rootHelp, topics, commands }
const out = join(import.meta.dir, '..', 'src', 'cli', 'manifest.generated.json')
writeFileSync(out, JSON.stringify(manifest))
console.error(`wrote ${out} (${Object.keys(commands).length} commands, ${Object.keys(commands).filter(c => commands[c]!.handler).length} with a fast path)`)

// Entry point. oclif normally discovers commands on disk; inside a `bun build --compile` binary there is no
// file tree, so the root plugin is built by hand and its command cache is filled from an explicit map.
import { Config, Plugin, run, handle, flush } from '@oclif/core'
import pjson from '../package.json' with { type: 'json' }
import { COMMANDS } from './commands/index.ts'

// A compiled Bun binary turns back into plain bun when BUN_BE_BUN is set; never let that leak to tasks.
delete process.env.BUN_BE_BUN

const root = import.meta.dirname
const plugin = new Plugin({ root, pjson: pjson as any, isRoot: true, ignoreManifest: true })
;(plugin as any).commandCache = COMMANDS
await plugin.load()
const config = await Config.load({ root, pjson: pjson as any, plugins: new Map([[plugin.name, plugin]]) } as any)
try {
  await run(process.argv.slice(2), config)
  await flush()
} catch (err) {
  await handle(err as Error)
}

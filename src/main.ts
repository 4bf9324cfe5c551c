// Entry point. oclif normally discovers commands on disk; inside a `bun build --compile` binary there is no
// file tree, so the root plugin is built by hand and its command cache is filled from an explicit map.
import { Config, Plugin, run, flush } from '@oclif/core'
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
  // One readable line (docs/cli.md), with oclif's exit code: 2 for usage errors.
  const e = err as Error & { oclif?: { exit?: number }; code?: string }
  const exit = e.oclif?.exit ?? 1
  if (exit !== 0 && e.code !== 'EEXIT') {
    const lines = String(e.message ?? e).replace(/\x1b\[[0-9;]*m/g, '').split('\n').map(l => l.trim()).filter(Boolean)
    const hint = /^command .* not found/.test(lines[0] ?? '') ? "; see 'meso --help'" : exit === 2 && !/--help/.test(lines[0] ?? '') ? `; see 'meso ${process.argv.slice(2).filter(a => !a.startsWith('-')).slice(0, 2).join(' ')} --help'`.replace(/ +--help/, ' --help') : ''
    process.stderr.write(`error: ${lines[0]}${hint}\n`)
    if (process.env.MESO_DEBUG === '1') process.stderr.write(`${e.stack}\n`)
  }
  process.exitCode = exit
}

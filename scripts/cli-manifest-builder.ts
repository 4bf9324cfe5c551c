// Builds the CLI manifest (src/cli/manifest.ts) from the oclif command classes. Used by the build
// (scripts/gen-cli-manifest.ts) and by the fast-path parser's differential test.

import type { CommandDef, FlagDef } from '../src/cli/manifest.ts'

/** oclif's Flags.integer is an option flag whose parse rejects non-integers and returns numbers. */
async function isIntegerFlag(f: any): Promise<boolean> {
  if (typeof f.parse !== 'function') return false
  try {
    if ((await f.parse('12', {}, f)) !== 12) return false
  } catch { return false }
  try { await f.parse('x', {}, f); return false } catch { return true }
}

export async function flagDefs(cls: any): Promise<Record<string, FlagDef>> {
  const flags: Record<string, FlagDef> = {}
  for (const [name, f] of Object.entries(cls.flags ?? {}) as [string, any][]) {
    const def: FlagDef = { type: f.type === 'boolean' ? 'boolean' : 'option' }
    if (f.char) def.char = f.char
    if (f.multiple) def.multiple = true
    if (f.default !== undefined && typeof f.default !== 'function') def.default = f.default
    if (f.allowNo) def.allowNo = true
    if (f.env) def.env = f.env
    if (f.options) def.options = f.options
    if (f.aliases?.length) def.aliases = f.aliases
    if (f.type === 'option' && (await isIntegerFlag(f))) def.integer = true
    flags[name] = def
  }
  return flags
}

export async function commandDef(cls: any, help: string, handler?: string): Promise<CommandDef> {
  return {
    strict: cls.strict !== false,
    flags: await flagDefs(cls),
    args: Object.entries(cls.args ?? {}).map(([name, a]: [string, any]) => ({ name, required: !!a.required })),
    help,
    ...(handler ? { handler } : {}),
  }
}

// Builds the CLI manifest (src/cli/manifest.ts) from the oclif command classes. Used by the build
// (scripts/gen-cli-manifest.ts) and by the fast-path parser's differential test.

import type { CommandDef, FlagDef } from '../src/cli/manifest.ts'

/** What a flag's own parser makes of `raw` (undefined when it refuses it). */
async function parsed(f: any, raw: string): Promise<unknown> {
  try { return await f.parse(raw, {}, f) } catch { return undefined }
}

/**
 * oclif's Flags.integer and meso's numberFlag are option flags whose parsers return numbers and refuse the rest:
 * an integer flag refuses '0.5', a number flag takes it.
 */
async function numericKind(f: any): Promise<'integer' | 'number' | undefined> {
  if (typeof f.parse !== 'function' || (await parsed(f, '12')) !== 12 || (await parsed(f, 'x')) !== undefined) return undefined
  return (await parsed(f, '0.5')) === 0.5 ? 'number' : 'integer'
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
    const numeric = f.type === 'option' ? await numericKind(f) : undefined
    if (numeric) def[numeric] = true
    flags[name] = def
  }
  return flags
}

export async function commandDef(cls: any, help: string, handler?: string): Promise<CommandDef> {
  return {
    strict: cls.strict !== false,
    flags: await flagDefs(cls),
    args: Object.entries(cls.args ?? {}).map(([name, a]: [string, any]) => ({ name, required: !!a.required, ...(a.options ? { options: a.options } : {}) })),
    help,
    ...(handler ? { handler } : {}),
  }
}

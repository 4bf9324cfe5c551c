// A small, strict command-line parser driven by the manifest's flag definitions. It accepts exactly what oclif
// accepts for the common shapes (`--flag value`, `--flag=value`, `-f value`, grouped boolean `-it`, `--no-flag`,
// repeatable flags, `--`, positional arguments, env defaults) and gives up — returning undefined — on anything else,
// so oclif stays the authority for errors and edge cases.

import type { CommandDef, FlagDef } from './manifest.ts'
import { parseDecimal } from './number-flag.ts'
import type { ParsedCommand } from './parsed.ts'

/** The parsed command, untyped: the handler's type comes from the same flag definitions the manifest holds. */
export function parseArgv(def: CommandDef, tokens: string[], env: Record<string, string | undefined> = process.env): ParsedCommand | undefined {
  const byName = new Map<string, [string, FlagDef]>()
  const byChar = new Map<string, [string, FlagDef]>()
  for (const [name, f] of Object.entries(def.flags)) {
    byName.set(name, [name, f])
    for (const a of f.aliases ?? []) byName.set(a, [name, f])
    if (f.char) byChar.set(f.char, [name, f])
  }
  const flags: Record<string, unknown> = {}
  const positional: string[] = []
  const set = (name: string, f: FlagDef, raw: string | boolean): boolean => {
    let value: unknown = raw
    if (f.type === 'option') {
      if (typeof raw !== 'string') return false
      if (f.options && !f.options.includes(raw)) return false
      if (f.integer) {
        if (!/^-?\d+$/.test(raw)) return false
        value = Number(raw)
      }
      if (f.number) {
        value = parseDecimal(raw)
        if (value === undefined) return false
      }
      if (f.multiple) { (flags[name] ??= [] as unknown[]) as unknown[]; (flags[name] as unknown[]).push(value); return true }
    }
    if (flags[name] !== undefined) return false // oclif: "can only be specified once"
    flags[name] = value
    return true
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t === '--') { positional.push(...tokens.slice(i + 1)); break }
    if (t.startsWith('--')) {
      const eq = t.indexOf('=')
      const key = eq > 0 ? t.slice(2, eq) : t.slice(2)
      let hit = byName.get(key)
      if (!hit && key.startsWith('no-')) {
        const neg = byName.get(key.slice(3))
        if (!neg || neg[1].type !== 'boolean' || !neg[1].allowNo || eq > 0) return undefined
        if (!set(neg[0], neg[1], false)) return undefined
        continue
      }
      if (!hit) return undefined
      const [name, f] = hit
      if (f.type === 'boolean') {
        if (eq > 0) return undefined
        if (!set(name, f, true)) return undefined
      } else {
        const v = eq > 0 ? t.slice(eq + 1) : tokens[++i]
        if (v === undefined) return undefined
        if (!set(name, f, v)) return undefined
      }
      continue
    }
    if (t.startsWith('-') && t.length > 1 && !/^-\d/.test(t)) {
      const chars = t.slice(1)
      const first = byChar.get(chars[0]!)
      if (!first) return undefined
      if (first[1].type === 'option') {
        const v = chars.length > 1 ? undefined : tokens[++i]
        if (v === undefined || !set(first[0], first[1], v)) return undefined
        continue
      }
      // Grouped booleans (-it).
      for (const c of chars) {
        const hit = byChar.get(c)
        if (!hit || hit[1].type !== 'boolean' || !set(hit[0], hit[1], true)) return undefined
      }
      continue
    }
    positional.push(t)
  }
  for (const [name, f] of Object.entries(def.flags)) {
    if (flags[name] !== undefined) continue
    const fromEnv = f.env ? env[f.env] : undefined
    if (fromEnv !== undefined && fromEnv !== '') {
      if (f.type === 'boolean') flags[name] = /^(1|true|yes)$/i.test(fromEnv)
      else if (!set(name, f, fromEnv)) return undefined
      continue
    }
    if (f.default !== undefined) flags[name] = f.type === 'option' && f.integer ? Number(f.default) : f.default
    else if (f.type === 'boolean') flags[name] = false
  }
  const args: Record<string, string | undefined> = {}
  def.args.forEach((a, i) => { args[a.name] = positional[i] })
  if (def.args.some((a, i) => a.required && positional[i] === undefined)) return undefined
  if (def.args.some((a, i) => a.options && positional[i] !== undefined && !a.options.includes(positional[i]!))) return undefined
  if (def.strict && positional.length > def.args.length) return undefined
  return { flags, args, argv: positional }
}

// Daemon flags in Mesos' style, declared once as a table: each becomes an oclif flag (`--work_dir=/x`; the oclif
// side is src/commands/daemon.ts, so this module stays free of oclif), is read from
// `MESOS_<NAME>` (and `MESO_<NAME>`) in the environment, and is echoed by GET_FLAGS / `/flags` as a string.
// Booleans accept `--name`, `--no-name` and `--name=true|false` like stout does. Flags marked `secret` (credentials
// given inline) are never echoed: docs/security-input.md.

import { DurationError, formatDuration, parseDuration } from './duration.ts'

/** `bytes`: stout's Bytes (`16MB`; units B, KB, MB, GB, TB, powers of 1024), typed as a number of bytes. */
export type FlagType = 'string' | 'int' | 'number' | 'bool' | 'duration' | 'bytes'

export interface FlagSpec {
  name: string
  type: FlagType
  default?: string | number | boolean
  description: string
  /** Deprecated spellings (e.g. `slave_*`) accepted as aliases. */
  aliases?: string[]
  /** Validation beyond the type; return an error message or undefined. */
  check?: (value: unknown) => string | undefined
  /**
   * The value may hold a secret (credentials given inline rather than as a file): GET_FLAGS and /flags show an
   * absolute path as it is and anything else as `REDACTED`.
   */
  secret?: true
}

export type FlagValues = Record<string, string | number | boolean | undefined>

type ValueOf<T extends FlagType> = T extends 'bool' ? boolean : T extends 'string' ? string : number

/**
 * The typed object a flag table resolves to: one property per flag, required when the table gives a default,
 * numbers for int/number/duration (durations in ms). Declare a table `as const satisfies readonly FlagSpec[]` so
 * the names and types reach this type; the defaults then live only in the table.
 */
export type TypedFlags<S extends readonly FlagSpec[]> =
  { readonly [F in S[number] as F extends { default: unknown } ? F['name'] : never]: ValueOf<F['type']> } &
  { readonly [F in S[number] as F extends { default: unknown } ? never : F['name']]?: ValueOf<F['type']> }

export class FlagError extends Error {}

/**
 * Rewrites `--flag=true|false` for boolean flags into oclif's `--flag` / `--no-flag`, and `MESO_<NAME>` env
 * variables into their `MESOS_` names, before oclif parses.
 */
export function normalizeArgv(argv: string[], specs: readonly FlagSpec[]): string[] {
  const bools = new Set<string>()
  for (const s of specs) if (s.type === 'bool') { bools.add(s.name); for (const a of s.aliases ?? []) bools.add(a) }
  for (const s of specs) {
    const meso = process.env[`MESO_${s.name.toUpperCase()}`]
    if (meso !== undefined && process.env[`MESOS_${s.name.toUpperCase()}`] === undefined) process.env[`MESOS_${s.name.toUpperCase()}`] = meso
    // oclif reads boolean env values with its own rules; normalise stout spellings.
    const envName = `MESOS_${s.name.toUpperCase()}`
    if (s.type === 'bool' && process.env[envName] !== undefined) {
      process.env[envName] = /^(1|true|yes)$/i.test(process.env[envName]!) ? 'true' : 'false'
    }
  }
  const out: string[] = []
  for (const arg of argv) {
    if (arg === '--') { out.push(...argv.slice(argv.indexOf(arg))); break }
    const m = /^--([\w-]+)=(true|false|1|0|yes|no)$/i.exec(arg)
    if (m && bools.has(m[1]!)) {
      out.push(/^(true|1|yes)$/i.test(m[2]!) ? `--${m[1]}` : `--no-${m[1]}`)
      continue
    }
    out.push(arg)
  }
  return out
}

/** Typed values (durations in ms) with defaults applied; throws FlagError on bad values. */
export function resolveFlags<S extends readonly FlagSpec[]>(specs: S, parsed: Record<string, unknown>): TypedFlags<S> {
  return resolveFlagValues(specs, parsed) as TypedFlags<S>
}

function resolveFlagValues(specs: readonly FlagSpec[], parsed: Record<string, unknown>): FlagValues {
  const out: FlagValues = {}
  for (const s of specs) {
    let raw = parsed[s.name]
    if (raw === undefined) raw = s.default
    if (raw === undefined) { out[s.name] = undefined; continue }
    let v: string | number | boolean
    switch (s.type) {
      case 'bool': v = typeof raw === 'boolean' ? raw : /^(1|true|yes)$/i.test(String(raw)); break
      case 'int':
        v = Number(raw)
        if (!Number.isInteger(v)) throw new FlagError(`--${s.name} must be an integer, got '${raw}'`)
        break
      case 'number':
        v = Number(raw)
        if (!Number.isFinite(v)) throw new FlagError(`--${s.name} must be a number, got '${raw}'`)
        break
      case 'duration':
        try { v = typeof raw === 'number' ? raw : parseDuration(String(raw)) } catch (err) {
          throw new FlagError(`--${s.name}: ${(err as DurationError).message}`)
        }
        break
      case 'bytes': {
        const n = typeof raw === 'number' ? raw : parseBytes(String(raw))
        if (n === undefined) throw new FlagError(`--${s.name} must be a byte size such as 512KB or 16MB, got '${raw}'`)
        v = n
        break
      }
      default: v = String(raw)
    }
    const problem = s.check?.(v)
    if (problem) throw new FlagError(`--${s.name}: ${problem}`)
    out[s.name] = v
  }
  return out
}

/** What GET_FLAGS shows for a secret flag that is not a file path. */
export const REDACTED = 'REDACTED'

/**
 * `{name, value}` pairs as GET_FLAGS returns them (all strings, durations and sizes in stout form). Secret flags
 * show only an absolute path (`/etc/meso/credentials`, `file:///…`), as Mesos' Path flags do; inline values, which
 * carry the secret itself, become REDACTED.
 */
export function flagStrings(specs: readonly FlagSpec[], values: FlagValues): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = []
  for (const s of specs) {
    const v = values[s.name]
    if (v === undefined) continue
    let value = s.type === 'duration' ? formatDuration(v as number) : s.type === 'bytes' ? formatBytes(v as number) : String(v)
    if (s.secret && !/^(\/|file:\/\/\/)[^\s]*$/.test(value)) value = REDACTED
    // A password inside a URL (`--zk=zk://user:pass@host/mesos`, an agent's zk:// `--master`) is hidden as
    // formatZooKeeperUrl hides it (docs/security-secrets.md).
    else if (typeof v === 'string') value = redactUrlPasswords(value)
    out.push({ name: s.name, value })
  }
  return out
}

/** `scheme://user:password@…` → `scheme://user:***@…`, anywhere in the value (comma-separated lists too). */
export function redactUrlPasswords(value: string): string {
  return value.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^/@:\s,]+):[^@/\s]*@/gi, '$1:***@')
}

const UNITS: [string, number][] = [['TB', 1024 ** 4], ['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024], ['B', 1]]

/** stout's Bytes::parse (3rdparty/stout/include/stout/bytes.hpp): digits and a unit; a bare number is bytes. */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text)
  if (!m) return undefined
  const unit = m[2]!.toUpperCase() || 'B'
  const mult = UNITS.find(([u]) => u === unit)?.[1]
  return mult === undefined ? undefined : Number(m[1]) * mult
}

/** Bytes in stout's form: the largest unit that keeps the value whole (`16MB`, `1536KB`). */
export function formatBytes(n: number): string {
  for (const [u, mult] of UNITS) if (n !== 0 && n % mult === 0) return `${n / mult}${u}`
  return `${n}B`
}

// The CLI manifest generated at build time from the oclif command classes (scripts/gen-cli-manifest.ts): flag and
// argument definitions and oclif's own help text, so the binary can print help and run common commands without
// loading oclif (~60 ms of start-up) — see fast-dispatch.ts.

export interface FlagDef {
  type: 'boolean' | 'option'
  char?: string
  multiple?: boolean
  default?: string | number | boolean
  allowNo?: boolean
  env?: string
  options?: string[]
  integer?: boolean
  /** A number flag (src/commands/base.ts numberFlag): accepts what parseDecimal accepts. */
  number?: boolean
  aliases?: string[]
}

export interface CommandDef {
  strict: boolean
  flags: Record<string, FlagDef>
  args: { name: string; required: boolean; options?: string[] }[]
  help: string
  /** Module that exports `execute(parsed)`; commands without one always go through oclif. */
  handler?: string
}

export interface CliManifest {
  version: string
  rootHelp: string
  topics: Record<string, string>
  commands: Record<string, CommandDef>
}

// What a command handler receives: the same shape oclif's parse returns.
export interface ParsedCommand<F = Record<string, any>, A = Record<string, string | undefined>> {
  flags: F
  args: A
  argv: string[]
}

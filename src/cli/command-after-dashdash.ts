// The command a user wrote after `--`, from the real argv. oclif's non-strict parsing can drop an argument that
// equals an earlier flag's value (`--timeout 60 -- echo 60`), so commands that run programs take it from here.
export function commandAfterDashDash(fallback: string[]): string[] {
  const i = process.argv.indexOf('--')
  return i >= 0 ? process.argv.slice(i + 1) : fallback
}

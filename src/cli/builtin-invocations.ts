// The spellings of help and version people reach for, rewritten to the one form the rest of the CLI handles:
// `meso help task run` → `meso task run --help`, `meso version` / `meso -v` → `meso --version`, and `-h` → `--help`
// (no meso command has a `-h` flag). Arguments after `--` belong to the task and are never touched.

export function canonicalArgv(argv: readonly string[]): string[] {
  if (argv[0] === 'help') return [...argv.slice(1), '--help']
  if (argv.length === 1 && (argv[0] === 'version' || argv[0] === '-v')) return ['--version']
  const dashdash = argv.indexOf('--')
  return argv.map((a, i) => (a === '-h' && (dashdash < 0 || i < dashdash) ? '--help' : a))
}

/** Whether argv asks for help: nothing at all, or `--help` before any `--`. */
export function asksForHelp(argv: readonly string[]): boolean {
  if (argv.length === 0) return true
  const dashdash = argv.indexOf('--')
  return (dashdash < 0 ? argv : argv.slice(0, dashdash)).includes('--help')
}

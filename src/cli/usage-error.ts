// What the CLI prints for an error oclif raised (docs/cli.md): one `error: …` line naming what is wrong in the words
// users type — the missing argument (`missing TASK`), the unknown command with the closest known one
// (`did you mean 'task list'?`, never oclif's `task:list`) — and the exit code (2 for usage errors).

import { closestCommand } from './command-suggestion.ts'

/** The parts of an oclif error this reads (CLIError, CLIParseError and its RequiredArgsError subclass). */
export interface OclifErrorLike {
  message?: string
  code?: string
  oclif?: { exit?: number | false }
  args?: { name?: string }[]
  parse?: { input?: { context?: { id?: string } } }
}

export interface CliErrorLine {
  /** The line without its `error: ` prefix; undefined when nothing is to be printed (a clean exit). */
  message?: string
  exit: number
}

const USAGE = 2

/** `known`: every command and topic as typed (`task list`, `task`), used for suggestions. */
export function describeOclifError(err: OclifErrorLike, argv: readonly string[], known: readonly string[]): CliErrorLine {
  const exit = typeof err.oclif?.exit === 'number' ? err.oclif.exit : 1
  if (exit === 0 || err.code === 'EEXIT') return { exit }
  const lines = String(err.message ?? err).replace(/\x1b\[[0-9;]*m/g, '').split('\n').map(l => l.trim()).filter(Boolean)
  const first = lines[0] ?? 'failed'

  const notFound = /^command (\S+?)\.? not found/i.exec(first)
  if (notFound) return { message: unknownCommand(notFound[1]!.split(':'), known), exit: USAGE }

  const command = err.parse?.input?.context?.id?.split(':').join(' ') ?? typedCommand(argv, known)
  const seeHelp = `see 'meso ${command ? `${command} ` : ''}--help'`
  if (Array.isArray(err.args) && /^Missing \d+ required args?/.test(first)) {
    const names = err.args.map(a => (a.name ?? 'argument').toUpperCase())
    return { message: `missing ${names.join(' ')}; ${seeHelp}`, exit }
  }
  if (exit === USAGE && !/--help/.test(first)) return { message: `${first}; ${seeHelp}`, exit }
  return { message: first, exit }
}

/** `unknown command 'taks list'; did you mean 'task list'?` — trying the typed words, then fewer of them. */
export function unknownCommand(words: readonly string[], known: readonly string[]): string {
  const typed = words.join(' ')
  for (let n = Math.min(words.length, 3); n >= 1; n--) {
    const suggestion = closestCommand(words.slice(0, n).join(' '), known)
    if (suggestion) return `unknown command '${words.slice(0, n).join(' ')}'; did you mean '${suggestion}'?`
  }
  return `unknown command '${typed}'; see 'meso --help'`
}

/** The longest run of leading words that names a known command or topic (`job schedule add`), else the first two. */
function typedCommand(argv: readonly string[], known: readonly string[]): string {
  const words = argv.filter(a => !a.startsWith('-'))
  for (let n = Math.min(words.length, 3); n >= 1; n--) {
    const c = words.slice(0, n).join(' ')
    if (known.includes(c)) return c
  }
  return words.slice(0, 2).join(' ')
}

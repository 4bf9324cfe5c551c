// What a shell should offer at the cursor, given the words typed after `meso`: topics and commands, a command's
// flags, a flag's or argument's fixed options, or (when the argument names a task) the cluster's task ids and names,
// which the caller fetches (complete.ts). Pure: the shells' scripts (completion-scripts.ts) only relay the answer.

export interface CompletionFlag { name: string; char?: string; takesValue: boolean; options?: string[] }
export interface CompletionCommand { flags: CompletionFlag[]; args: { name: string; options?: string[] }[] }
/** Commands by id as typed (`task list`). */
export type CompletionSpec = Record<string, CompletionCommand>

export type CompletionAnswer =
  | { kind: 'words'; words: string[] }
  /** The cursor is on a task argument: offer task ids and names starting with `prefix`, from `master` if given. */
  | { kind: 'tasks'; prefix: string; master?: string }

/** Command arguments that name a task (docs/cli.md: an id, a unique id prefix, or a name). */
const TASK_ARGS = new Set(['task'])

/** `typed`: the words after `meso` up to the cursor; the last one is the (possibly empty) word being completed. */
export function completionsFor(typed: readonly string[], spec: CompletionSpec): CompletionAnswer {
  const words = typed.length ? [...typed] : ['']
  const current = words.pop()!
  const starting = (list: Iterable<string>) => ({ kind: 'words' as const, words: [...new Set(list)].filter(w => w.startsWith(current)).sort() })

  // `meso help task r…` completes like `meso task r…`.
  if (words[0] === 'help' && spec.help) {
    const inner = completionsFor([...words.slice(1), current], spec)
    return inner.kind === 'words' ? { kind: 'words', words: inner.words.filter(w => !w.startsWith('-')) } : inner
  }

  // Walk the typed words: command words first, then flags (skipping their values) and positional arguments.
  let path: string[] = []
  let command: CompletionCommand | undefined
  let commandId = ''
  const positional: string[] = []
  let pendingFlag: CompletionFlag | undefined
  let master: string | undefined
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (w === '--') return { kind: 'words', words: [] }
    if (pendingFlag) { if (pendingFlag.name === 'master') master = w; pendingFlag = undefined; continue }
    if (w.startsWith('-') && w.length > 1) {
      const flag = findFlag(command, w)
      if (flag?.name === 'master' && w.includes('=')) master = w.slice(w.indexOf('=') + 1)
      if (flag?.takesValue && !w.includes('=')) pendingFlag = flag
      continue
    }
    if (!command || (positional.length === 0 && spec[[...path, w].join(' ')] && !command.args.length)) {
      const id = [...path, w].join(' ')
      if (spec[id]) { command = spec[id]; commandId = id }
      else if (!command && !isPrefix(spec, id)) return { kind: 'words', words: [] }
      path = [...path, w]
      continue
    }
    positional.push(w)
  }

  if (pendingFlag) return starting(pendingFlag.options ?? [])
  if (current.startsWith('-')) {
    if (!command) return starting(['--help'])
    return starting([...command.flags.map(f => `--${f.name}`), '--help'])
  }
  // Next command words: those under the typed path (a command that is also a topic, like `agent`, offers both).
  const next = positional.length === 0 && (!command || !command.args.length) ? subWords(spec, path) : []
  if (!command) return starting(next)
  const arg = command.args[positional.length]
  if (!arg) return starting(next)
  if (arg.options) return starting([...arg.options, ...next])
  if (TASK_ARGS.has(arg.name) && commandId.startsWith('task ')) return { kind: 'tasks', prefix: current, ...(master ? { master } : {}) }
  return starting(next)
}

function findFlag(command: CompletionCommand | undefined, token: string): CompletionFlag | undefined {
  if (!command) return undefined
  if (token.startsWith('--')) {
    const name = token.slice(2).split('=')[0]!
    return command.flags.find(f => f.name === name)
  }
  // `-n 3` takes a value; grouped short flags (`-it`) are booleans.
  return token.length === 2 ? command.flags.find(f => f.char === token[1]) : undefined
}

function isPrefix(spec: CompletionSpec, id: string): boolean {
  return Object.keys(spec).some(k => k.startsWith(`${id} `))
}

function subWords(spec: CompletionSpec, path: readonly string[]): string[] {
  const depth = path.length
  const prefix = path.length ? `${path.join(' ')} ` : ''
  return Object.keys(spec)
    .filter(k => k.startsWith(prefix) && k !== path.join(' ') && !k.startsWith('__'))
    .map(k => k.split(' ')[depth]!)
}

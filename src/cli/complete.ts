// `meso __complete -- WORDS…`, the hidden command the completion scripts call at every TAB: prints one candidate a
// line. Task names come from the cluster with a short deadline, and any failure (no cluster, auth, TLS) prints
// nothing rather than an error under the user's prompt.

import { completionsFor, type CompletionSpec } from './completion-candidates.ts'
import type { CliManifest } from './manifest.ts'

/** How long a TAB may wait for the cluster's task list. */
const TASKS_DEADLINE_MS = 1500

export async function complete(argv: readonly string[], spec: CompletionSpec): Promise<void> {
  const typed = argv[0] === '--' ? argv.slice(1) : argv
  const answer = completionsFor(typed, spec)
  const words = answer.kind === 'words' ? answer.words : await taskWords(answer.prefix, answer.master)
  if (words.length) process.stdout.write(`${words.join('\n')}\n`)
}

async function taskWords(prefix: string, master: string | undefined): Promise<string[]> {
  try {
    const { masterUrl } = await import('../client/cluster.ts')
    const { listTasks } = await import('../client/tasks.ts')
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('deadline')), TASKS_DEADLINE_MS) })
    try {
      const tasks = await Promise.race([listTasks(masterUrl(master), false), deadline])
      const words = tasks.flatMap(({ task }) => [task.task_id.value, ...(task.name ? [task.name] : [])])
      return [...new Set(words)].filter(w => w.startsWith(prefix) && !/\s/.test(w)).sort()
    } finally {
      clearTimeout(timer)
    }
  } catch {
    return []
  }
}

/** The commands as the build's manifest describes them (the compiled binary). */
export function specFromManifest(manifest: CliManifest): CompletionSpec {
  const spec: CompletionSpec = {}
  for (const [id, def] of Object.entries(manifest.commands)) {
    spec[id.split(':').join(' ')] = {
      flags: Object.entries(def.flags).map(([name, f]) => ({ name, ...(f.char ? { char: f.char } : {}), takesValue: f.type === 'option', ...(f.options ? { options: f.options } : {}) })),
      args: def.args.map(a => ({ name: a.name, ...(a.options ? { options: a.options } : {}) })),
    }
  }
  return spec
}

interface StaticFlag { type?: string; char?: string; options?: readonly string[] }
interface StaticArg { options?: readonly string[] }

/** The commands from the oclif classes' static definitions (running from sources, where no manifest is built). */
export function specFromClasses(commands: Record<string, { flags?: Record<string, unknown>; args?: Record<string, unknown> }>): CompletionSpec {
  const spec: CompletionSpec = {}
  for (const [id, cls] of Object.entries(commands)) {
    spec[id.split(':').join(' ')] = {
      flags: Object.entries((cls.flags ?? {}) as Record<string, StaticFlag>).map(([name, f]) => ({ name, ...(f.char ? { char: f.char } : {}), takesValue: f.type === 'option', ...(f.options ? { options: [...f.options] } : {}) })),
      args: Object.entries((cls.args ?? {}) as Record<string, StaticArg>).map(([name, a]) => ({ name, ...(a.options ? { options: [...a.options] } : {}) })),
    }
  }
  return spec
}

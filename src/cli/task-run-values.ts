// What `meso task run`'s number flags must be, in the words of its usage errors: the flag's parser (src/commands/
// task/run.ts) says it of a value that is no number, the handler (handlers/task-run.ts) of a number out of range.
export const MUST_BE = {
  cpus: 'a positive number',
  mem: 'a positive number of MB',
  disk: 'a number of MB',
  gpus: 'a whole number of GPUs (fractions of a GPU cannot be allocated)',
} as const

/**
 * The task's environment from `--env` values, as docker takes them: `K=V` sets K to V (`K=` to the empty string), a
 * bare `K` passes K from the caller's environment and leaves it out when the caller has none. The last of a repeated
 * K wins. Throws, with the usage error's words, on a value without a name.
 */
export function envFromFlags(values: readonly string[] | undefined, caller: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const kv of values ?? []) {
    const i = kv.indexOf('=')
    if (i === 0 || kv === '') throw new Error(`--env expects K=V or K, got '${kv}'`)
    if (i > 0) { env[kv.slice(0, i)] = kv.slice(i + 1); continue }
    const inherited = caller[kv]
    if (inherited !== undefined) env[kv] = inherited
    else delete env[kv]
  }
  return env
}

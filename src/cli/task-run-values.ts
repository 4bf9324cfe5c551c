// What `meso task run`'s number flags must be, in the words of its usage errors: the flag's parser (src/commands/
// task/run.ts) says it of a value that is no number, the handler (handlers/task-run.ts) of a number out of range.
export const MUST_BE = {
  cpus: 'a positive number',
  mem: 'a positive number of MB',
  disk: 'a number of MB',
  gpus: 'a whole number of GPUs (fractions of a GPU cannot be allocated)',
} as const

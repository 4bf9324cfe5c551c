// The decisions of sandbox log rotation (logrotate.ts), without I/O: the flags, the renames of one rotation and how
// new bytes are cut between files. The companion logger's shell script and RotatingFile follow these rules.

import type { AgentFlags } from '../flags.ts'

export interface LogRotation {
  /** Most bytes in one file (the leading file included). */
  maxSize: number
  /** Most files per stream: the leading file plus max_files - 1 rotated ones. */
  maxFiles: number
}

/** Mesos' logger refuses less than a memory page: a smaller file would rotate on nearly every write. */
export const MIN_LOG_SIZE = 4096

export function logrotateMaxSizeError(v: unknown): string | undefined {
  const n = Number(v)
  return n === 0 || n >= MIN_LOG_SIZE ? undefined : `must be 0 (no rotation) or at least ${MIN_LOG_SIZE} bytes`
}

export function logrotateMaxFilesError(v: unknown): string | undefined {
  const n = Number(v)
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? undefined : 'must be between 1 and 1000'
}

/** The rotation the agent flags ask for; undefined with --logrotate_max_size=0 (files grow without bound). */
export function logRotationOf(flags: Pick<AgentFlags, 'logrotate_max_size' | 'logrotate_max_files'>): LogRotation | undefined {
  if (!flags.logrotate_max_size) return undefined
  return { maxSize: flags.logrotate_max_size, maxFiles: flags.logrotate_max_files }
}

/**
 * The renames of one rotation, in order: the oldest kept file is overwritten by the one before it, …, the leading
 * file becomes `.1`. With max_files = 1 there is nowhere to keep it: the leading file is removed.
 */
export function rotationRenames(file: string, maxFiles: number): { from: string; to?: string }[] {
  if (maxFiles <= 1) return [{ from: file }]
  const steps: { from: string; to?: string }[] = []
  for (let i = maxFiles - 1; i > 1; i--) steps.push({ from: `${file}.${i - 1}`, to: `${file}.${i}` })
  steps.push({ from: file, to: `${file}.1` })
  return steps
}

/**
 * How `length` new bytes are cut when the leading file already holds `size`: every chunk but the first starts a
 * freshly rotated file (a file already at the limit rotates before the first one, which is then empty).
 */
export function rotationChunks(size: number, maxSize: number, length: number): { rotateFirst: boolean; chunks: number[] } {
  const rotateFirst = size >= maxSize
  const chunks: number[] = []
  let room = rotateFirst ? maxSize : maxSize - size
  let left = length
  while (left > 0) {
    const n = Math.min(room, left)
    chunks.push(n)
    left -= n
    room = maxSize
  }
  return { rotateFirst, chunks }
}

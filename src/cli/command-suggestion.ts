// "did you mean …?" for a mistyped command: the closest known command by edit distance over the words as users
// type them (`task list`, never oclif's internal `task:list`).

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and transpositions of two neighbouring
 * characters each cost 1, so `taks` is one edit from `task`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The known command (words separated by spaces) closest to what was typed, or undefined when nothing is close: at
 * most a third of the typed length in edits (at least 1, at most 3). Ties go to the shorter, then alphabetically
 * first, command so the answer is stable. When the typed words start with a complete command they were taken as its
 * arguments by then, so only whole-input matches are considered here.
 */
export function closestCommand(typed: string, known: readonly string[]): string | undefined {
  const input = typed.trim().replace(/\s+/g, ' ')
  if (!input) return undefined
  const limit = Math.min(3, Math.max(1, Math.floor(input.length / 3)))
  let best: { cmd: string; dist: number } | undefined
  for (const cmd of [...new Set(known)].sort((x, y) => x.length - y.length || x.localeCompare(y))) {
    const dist = editDistance(input, cmd)
    if (dist <= limit && (!best || dist < best.dist)) best = { cmd, dist }
  }
  return best?.cmd
}

// Word wrapping for help text: lines break at spaces only, so a flag name, a URL or an image reference is never cut
// in two (oclif's own wrapping is hard and splits words at the margin). A word longer than the width stays whole on a
// line of its own and overflows, which a terminal shows far better than a word broken in the middle.

/** Wraps `text` to lines of at most `width` columns where the words allow; existing line breaks are kept. */
export function wrapWords(text: string, width: number): string {
  const limit = Math.max(1, Math.floor(width))
  return text.split('\n').map(line => wrapLine(line, limit)).join('\n')
}

function wrapLine(line: string, width: number): string {
  if (line.length <= width) return line
  // Leading indentation belongs to the first line only (callers indent wrapped blocks themselves).
  const indent = /^ */.exec(line)![0]
  const words = line.slice(indent.length).split(/ +/).filter(Boolean)
  const out: string[] = []
  let cur = indent
  let curHasWord = false
  for (const word of words) {
    if (!curHasWord) { cur += word; curHasWord = true; continue }
    if (cur.length + 1 + word.length <= width) { cur += ` ${word}`; continue }
    out.push(cur)
    cur = word
  }
  out.push(cur)
  return out.join('\n')
}

/** The width help is rendered at: $COLUMNS when set, else the terminal's width on a TTY, else 80 (never under 40). */
export function helpWidth(env: Record<string, string | undefined>, stdout: { isTTY?: boolean; columns?: number }): number {
  const fromEnv = Number.parseInt(env.COLUMNS ?? '', 10)
  const width = fromEnv > 0 ? fromEnv : stdout.isTTY && stdout.columns ? stdout.columns : 80
  return Math.max(40, width)
}

/** The width the build renders the manifest's help at; other widths are rendered at run time. */
export const MANIFEST_HELP_WIDTH = 80

// Following a sandbox log through the files API (/files/read with offsets), as `meso task logs -f` does
// (src/client/log-continuity.ts), in a form the browser can run: the files API decodes what it reads on UTF-8
// character boundaries, so the reader remembers the text it read last and asks again from just before its offset.
// The same text back means the same file; anything else means the agent rotated the log (--logrotate_max_size), and
// the rest of the old file is now `<path>.1`. Pure: the I/O is in api/log-tail.ts.

/** How much of an existing log the page shows when opened (bytes before the end). */
export const INITIAL_BYTES = 64 * 1024
/** The most text a read asks for (the agent answers at most 16 pages). */
export const READ_BYTES = 64 * 1024
/** Remembered tail, in characters. */
export const TAIL_CHARS = 64
/** The most text the page keeps; older lines are dropped from the top. */
export const MAX_KEPT_CHARS = 1024 * 1024

const utf8 = new TextEncoder()
export const byteLength = (s: string) => utf8.encode(s).length

export interface FollowState { path: string; offset: number; tail: string }

/** Where to start showing a file of `size` bytes: its last INITIAL_BYTES. */
export function startAt(path: string, size: number): FollowState {
  return { path, offset: Math.max(0, size - INITIAL_BYTES), tail: '' }
}

/** The read to make next: from before the offset by the tail's bytes. */
export function nextRead(s: FollowState): { path: string; offset: number; length: number } {
  const back = byteLength(s.tail)
  return { path: s.path, offset: s.offset - back, length: READ_BYTES + back }
}

export type ReadOutcome = { kind: 'same'; fresh: string; state: FollowState } | { kind: 'rotated' }

/** What a read made with nextRead(s) gave: new text, or a rotation. */
export function afterRead(s: FollowState, data: string): ReadOutcome {
  if (!data.startsWith(s.tail)) return { kind: 'rotated' }
  let fresh = data.slice(s.tail.length)
  // Opened in the middle of a file: start on a whole line.
  if (s.offset > 0 && !s.tail && fresh) {
    const nl = fresh.indexOf('\n')
    return { kind: 'same', fresh: nl < 0 ? '' : fresh.slice(nl + 1), state: advance(s, fresh) }
  }
  return { kind: 'same', fresh, state: advance(s, fresh) }
}

/** After a rotation, the new file from its start. */
export function restart(s: FollowState): FollowState {
  return { path: s.path, offset: 0, tail: '' }
}

function advance(s: FollowState, read: string): FollowState {
  const tail = (s.tail + read).slice(-TAIL_CHARS)
  // Never start the tail inside a surrogate pair: it would not match the text read back.
  const aligned = /^[\uDC00-\uDFFF]/.test(tail) ? tail.slice(1) : tail
  return { path: s.path, offset: s.offset + byteLength(read), tail: aligned }
}

/** Appends `fresh` to the shown text, dropping whole lines from the top beyond MAX_KEPT_CHARS. */
export function keep(shown: string, fresh: string, max = MAX_KEPT_CHARS): string {
  const all = shown + fresh
  if (all.length <= max) return all
  const cut = all.indexOf('\n', all.length - max)
  return cut < 0 ? all.slice(all.length - max) : all.slice(cut + 1)
}

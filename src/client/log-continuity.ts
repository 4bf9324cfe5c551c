// Following a sandbox log that may be rotated (the agent's --logrotate_max_size): the files API names a path, not a
// file, so after a rotation the same path is a new, shorter file. A reader remembers the last bytes it read and
// asks again from just before its offset: the same bytes mean the same file; anything else means the file was
// rotated, and the rest of the old one is now `<path>.1`.

/** Longest remembered tail: enough that unrelated output rarely repeats it at the same offset. */
export const TAIL_BYTES = 64

/**
 * The last (at most `max`) bytes of `prev` + `next`, starting on a UTF-8 character boundary: the files API decodes
 * what it reads, and a read starting inside a character would not give the same bytes back.
 */
export function charAlignedTail(prev: Uint8Array, next: Uint8Array, max = TAIL_BYTES): Buffer {
  const all = Buffer.concat([prev, next])
  let start = Math.max(0, all.length - max)
  while (start < all.length && (all[start]! & 0xc0) === 0x80) start++
  return all.subarray(start)
}

/**
 * What a read from `offset - tail.length` says: 'same' with the new bytes after the tail, or 'rotated' when it does
 * not start with the tail (shorter than it, or other bytes).
 */
export function continuation(tail: Uint8Array, read: Uint8Array): { kind: 'same'; fresh: Buffer } | { kind: 'rotated' } {
  if (read.length < tail.length) return { kind: 'rotated' }
  for (let i = 0; i < tail.length; i++) if (read[i] !== tail[i]) return { kind: 'rotated' }
  return { kind: 'same', fresh: Buffer.from(read.subarray(tail.length)) }
}

// JSON answers whose size is dominated by a few long arrays (the tasks in GET_STATE / GET_TASKS and in
// /master/state): the same bytes JSON.stringify would produce, sent in slices. At 100k tasks such an answer is over
// 100 MB; built as one string it held the event loop for seconds (no agent or scheduler message was handled
// meanwhile) and left two copies of itself in memory (the string and the encoded body). In slices, the master
// handles other work between them and the client reads while the rest is written.
//
// Keeping the master serving needs more than slicing: a slice that the socket takes at once does not give the event
// loop back (awaiting a flush that has nothing to wait for only yields to microtasks), so a fast reader on loopback
// used to get the whole answer in one turn, with every scheduler call and agent message waiting behind it. All
// answers being written share one budget per turn of the event loop (stateTurn below): each waiting answer writes at
// least one slice, more while the turn's budget lasts, and then the loop goes back to the sockets (setImmediate) so
// that requests and agent messages that arrived meanwhile are handled before the next slices. Slices are small
// (0.5–2 ms of serialising each) so that a turn stays short however many answers are being written.
//
// What is sent is one snapshot of which tasks exist and of everything but the long arrays (taken when the request
// arrives); a task updated while its answer is being written may appear with its newer state, as it would in the
// next answer.

import { randomUUID } from 'node:crypto'
import { markSliced } from '../core/http/compression.ts'

/** Arrays shorter than this are written inline: small answers stay one synchronous JSON.stringify. */
export const STREAM_MIN_ELEMENTS = 5_000
/**
 * Elements per slice: 100 tasks are about 0.5 ms of serialising for /master/state and 1 ms for GET_STATE (2 ms before
 * the v1 writer went through JSON.stringify) on a 2-vCPU VM.
 */
const SLICE = 100
/** Serialising time that all answers being written may take together in one turn of the event loop, at least… */
export const TURN_BUDGET_MS = 5
/** …and at most: as long as the loop's other work took since the last turn, within these bounds. */
export const MAX_TURN_MS = 10

/**
 * The turn budget shared by every answer being written. `next()` resolves at once while the current turn has budget
 * left, else in the next turn (after the event loop has polled the sockets), where the budget starts afresh and every
 * answer that was waiting gets at least one slice. A fixed 5 ms starved the answers on a busy master (10k agents,
 * allocations of tens of ms between turns: four concurrent /master/state fetches took 22 s each), so a turn gets as
 * long as the other work took since the last one, up to MAX_TURN_MS: about half the loop's time while both want it.
 * The measure is wall time (the thread's CPU clock moves in 4 ms ticks), so where other processes take the CPUs the
 * turns grow to the cap, which is kept low: a scheduler call waits at most 10 ms behind the answers.
 */
const stateTurn = {
  startedAt: -Infinity,
  budget: TURN_BUDGET_MS,
  waiting: [] as (() => void)[],
  scheduled: false,
  next(): Promise<void> | undefined {
    const now = performance.now()
    if (now - this.startedAt < this.budget) return undefined
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => {
        this.scheduled = false
        this.startedAt = performance.now()
        this.budget = Math.min(MAX_TURN_MS, Math.max(TURN_BUDGET_MS, this.startedAt - now))
        for (const go of this.waiting.splice(0)) go()
      })
    }
    return new Promise<void>(resolve => this.waiting.push(resolve))
  },
}

/** Writes a slice of a streamed array at once: its elements' JSON, comma-separated, without the brackets. */
export interface ElementsWriter<U> { elements(items: readonly U[]): string }

export class JsonStream {
  private readonly nonce = randomUUID()
  private readonly arrays: { items: unknown[]; map?: (x: any) => unknown; encode?: ((x: any) => string) | ElementsWriter<any> }[] = []

  /**
   * `encode` writes the document (v1 answers: the protobuf JSON writer, src/core/proto/json-writer.ts, which writes
   * a placeholder as the string it is); `array`'s `encode` writes the elements of a streamed array the same way,
   * one by one, or a slice at a time (an ElementsWriter: one JSON.stringify per slice rather than one per element).
   */
  constructor(private readonly encode: (doc: unknown) => string = doc => JSON.stringify(doc)) {}

  /**
   * Stands in for `items.map(map)` in the document handed to `response`: a large array becomes a placeholder string
   * that `response` replaces with the elements, mapped and written slice by slice (so the mapped copies of 100k
   * tasks never exist at once); a small one is mapped and returned as it is. `minElements` lowers the size from
   * which an array is streamed, for elements that are costly to map or write (a framework's view sums the resources
   * of all its tasks): mapped in a slice, they are not part of what the request costs when it arrives.
   */
  array<T, U = T>(items: T[], map?: (item: T) => U, encode?: ((item: U) => string) | ElementsWriter<U>, minElements = STREAM_MIN_ELEMENTS): U[] {
    if (items.length < Math.max(1, minElements)) return map ? items.map(map) : items as unknown as U[]
    this.arrays.push({ items, map, encode })
    // A NUL-delimited string with a random nonce: no value in the document can serialise to the same text.
    return `\u0000${this.nonce}:${this.arrays.length - 1}\u0000` as unknown as U[]
  }

  get streaming(): boolean { return this.arrays.length > 0 }

  /** The answer for `doc` (built with `array()`), optionally wrapped (JSONP). */
  response(doc: unknown, headers: Record<string, string>, wrap: { before?: string; after?: string } = {}): Response {
    const text = (wrap.before ?? '') + this.encode(doc) + (wrap.after ?? '')
    if (!this.streaming) return new Response(text, { headers })
    const marker = new RegExp(`"\\\\u0000${this.nonce}:(\\d+)\\\\u0000"`, 'g')
    // Alternating literal text and array indexes: text, index, text, index, …, text.
    const parts = text.split(marker)
    const arrays = this.arrays
    // A direct stream takes strings as they are: encoding every slice with a TextEncoder first cost half as much
    // again as serialising it. Each slice is flushed and awaited, so the client drains it before the next is made.
    const body = new ReadableStream({
      type: 'direct',
      async pull(controller: ReadableStreamDirectController) {
        for (let p = 0; p < parts.length; p++) {
          if (p % 2 === 0) { if (parts[p]) controller.write(parts[p]!); continue }
          const { items, map, encode } = arrays[Number(parts[p])]!
          for (let i = 0; i < items.length; i += SLICE) {
            const wait = stateTurn.next()
            if (wait) await wait
            const slice = items.slice(i, i + SLICE)
            const mapped = map ? slice.map(map) : slice
            const inner = !encode ? JSON.stringify(mapped).slice(1, -1) : typeof encode === 'function' ? mapped.map(encode).join(',') : encode.elements(mapped)
            controller.write((i === 0 ? '[' : ',') + inner + (i + SLICE >= items.length ? ']' : ''))
            await controller.flush()
          }
        }
        controller.close()
      },
    })
    return markSliced(new Response(body, { headers }))
  }
}

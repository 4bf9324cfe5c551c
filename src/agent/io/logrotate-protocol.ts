// What the agent and its log rotator (logrotate-daemon.ts) say to each other over the rotator's unix socket, without
// I/O: one JSON object per line. The agent asks the rotator to adopt a stream (a named pipe the container writes into
// and the sandbox file it is rotated into); the rotator answers each request and tells every connected agent when a
// stream ended (all its writers closed it). Input is bounded and validated: a malformed line is answered with an error,
// never half-applied.

import type { LogRotation } from './logrotate-policy.ts'
import { logrotateMaxFilesError, logrotateMaxSizeError } from './logrotate-policy.ts'

/** One stream to rotate: `fifo` is read until EOF, its bytes go into `file` by the rules of `rotation`. */
export interface StreamSpec { fifo: string; file: string; rotation: LogRotation }

export interface AdoptRequest extends StreamSpec { op: 'adopt'; id: number }
export type Request = AdoptRequest

export type Reply = { id: number; ok: true; known: boolean } | { id: number; error: string }
export interface EndedEvent { event: 'ended'; fifo: string; error?: string }
export type FromRotator = Reply | EndedEvent

/** Longer lines are refused: a request is two paths and two numbers. */
export const MAX_LINE = 16 * 1024
const MAX_PATH = 4096

export function encode(msg: Request | FromRotator): string { return `${JSON.stringify(msg)}\n` }

/** A request line, or why it is refused (with the request's id when it had one, so the error can be answered). */
export function parseRequest(line: string): { request: Request } | { error: string; id?: number } {
  if (line.length > MAX_LINE) return { error: `request longer than ${MAX_LINE} bytes` }
  let v: unknown
  try { v = JSON.parse(line) } catch { return { error: 'request is not JSON' } }
  if (!v || typeof v !== 'object') return { error: 'request is not an object' }
  const o = v as Record<string, unknown>
  const id = typeof o.id === 'number' && Number.isSafeInteger(o.id) ? o.id : undefined
  if (id === undefined) return { error: 'request has no integer id' }
  if (o.op !== 'adopt') return { error: `unknown op ${JSON.stringify(o.op)}`, id }
  for (const k of ['fifo', 'file'] as const) {
    const p = o[k]
    if (typeof p !== 'string' || !p.startsWith('/') || p.length > MAX_PATH || p.includes('\0')) return { error: `${k} must be an absolute path`, id }
  }
  const rot = o.rotation as Record<string, unknown> | undefined
  if (!rot || typeof rot !== 'object') return { error: 'rotation is missing', id }
  const maxSize = Number(rot.maxSize), maxFiles = Number(rot.maxFiles)
  // 0 (no rotation) never reaches the rotator: the agent writes such files directly.
  const sizeError = maxSize === 0 ? 'must be at least 4096 bytes' : logrotateMaxSizeError(maxSize)
  if (typeof rot.maxSize !== 'number' || !Number.isSafeInteger(maxSize) || sizeError) return { error: `rotation.maxSize ${sizeError ?? 'must be an integer'}`, id }
  const filesError = logrotateMaxFilesError(maxFiles)
  if (typeof rot.maxFiles !== 'number' || filesError) return { error: `rotation.maxFiles ${filesError}`, id }
  return { request: { op: 'adopt', id, fifo: o.fifo as string, file: o.file as string, rotation: { maxSize, maxFiles } } }
}

/** A line from the rotator, or undefined for one this agent does not understand (a newer rotator's event). */
export function parseFromRotator(line: string): FromRotator | undefined {
  let v: unknown
  try { v = JSON.parse(line) } catch { return undefined }
  if (!v || typeof v !== 'object') return undefined
  const o = v as Record<string, unknown>
  if (o.event === 'ended' && typeof o.fifo === 'string') return { event: 'ended', fifo: o.fifo, ...(typeof o.error === 'string' ? { error: o.error } : {}) }
  if (typeof o.id !== 'number') return undefined
  if (o.ok === true) return { id: o.id, ok: true, known: o.known === true }
  if (typeof o.error === 'string') return { id: o.id, error: o.error }
  return undefined
}

/**
 * Cuts a byte stream into lines. A line longer than `max` is dropped whole (up to its newline) and reported once
 * through `onTooLong`, so a peer cannot make the other side buffer without bound.
 */
export class LineSplitter {
  private buf = ''
  private skipping = false
  private readonly decoder = new TextDecoder()

  constructor(private readonly onLine: (line: string) => void, private readonly onTooLong: () => void, private readonly max = MAX_LINE) {}

  push(chunk: Uint8Array) {
    this.buf += this.decoder.decode(chunk, { stream: true })
    for (;;) {
      const nl = this.buf.indexOf('\n')
      if (nl < 0) break
      const line = this.buf.slice(0, nl)
      this.buf = this.buf.slice(nl + 1)
      if (this.skipping) { this.skipping = false; continue }
      if (line.length > this.max) { this.onTooLong(); continue }
      if (line.trim()) this.onLine(line)
    }
    if (this.buf.length > this.max) {
      if (!this.skipping) this.onTooLong()
      this.skipping = true
      this.buf = ''
    }
  }
}

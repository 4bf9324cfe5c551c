// Follows one sandbox file of a task through the master's relay to its agent's files API
// (/api/meso/v1/agent_files/read, src/master/ui-agent-files.ts), using the pure steps of model/log-follow.ts.

import { afterRead, byteLength, nextRead, READ_BYTES, restart, startAt, type FollowState } from '../model/log-follow.ts'
import { request } from './http.ts'

export interface FilesTarget { agentId: string }

export function filesUrl(op: 'browse' | 'read', t: FilesTarget, params: Record<string, string | number>): string {
  const q = new URLSearchParams({ agent_id: t.agentId })
  for (const [k, v] of Object.entries(params)) q.set(k, String(v))
  return `/api/meso/v1/agent_files/${op}?${q}`
}

export interface BrowseEntry { path: string; size: number; mode: string; mtime: number; nlink?: number; uid?: string; gid?: string }

export async function browse(t: FilesTarget, path: string, signal?: AbortSignal): Promise<BrowseEntry[]> {
  const res = await request(`listing ${path}`, filesUrl('browse', t, { path }), { signal })
  return (await res.json()) as BrowseEntry[]
}

/** One read; undefined when the file is not there (yet). */
async function read(t: FilesTarget, path: string, offset: number, length: number, signal?: AbortSignal): Promise<{ data: string; offset: number } | undefined> {
  try {
    const res = await request(`reading ${path}`, filesUrl('read', t, { path, offset, length }), { signal })
    return (await res.json()) as { data: string; offset: number }
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined
    throw err
  }
}

export interface TailHandlers {
  text(fresh: string): void
  note(message: string): void
  error(err: Error): void
}

/** Polls `path` every `everyMs` while the page shows it (a read costs the agent one pread); returns a stop function. */
export function followFile(t: FilesTarget, path: string, h: TailHandlers, everyMs = 1000): () => void {
  let stopped = false
  const controller = new AbortController()
  let state: FollowState | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  const tick = async () => {
    try {
      if (!state) {
        const size = await read(t, path, -1, 0, controller.signal)
        if (size) state = startAt(path, size.offset)
      }
      while (state && !stopped) {
        const r = nextRead(state)
        const got = await read(t, r.path, r.offset, r.length, controller.signal)
        if (!got) break
        const outcome = afterRead(state, got.data)
        if (outcome.kind === 'rotated') {
          // The rest of the old file is `<path>.1` now, if it was rotated once since the last read.
          const old = await read(t, `${path}.1`, r.offset, r.length, controller.signal)
          const rest = old ? afterRead(state, old.data) : { kind: 'rotated' as const }
          if (rest.kind === 'same') h.text(rest.fresh)
          else h.note(`${path} was rotated more than once between two reads; some output was skipped`)
          state = restart(state)
          continue
        }
        state = outcome.state
        if (outcome.fresh) h.text(outcome.fresh)
        // The agent answers at most 64 KiB (16 pages, as Mesos): less than a full answer is the end for now.
        if (byteLength(got.data) < READ_BYTES) break
      }
    } catch (err) {
      if (stopped) return
      h.error(err as Error)
    }
    if (!stopped) timer = setTimeout(tick, everyMs)
  }
  void tick()
  return () => { stopped = true; controller.abort(); clearTimeout(timer) }
}

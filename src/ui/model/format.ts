// How the UI writes numbers, sizes, times and states. Pure.

/** Megabytes (Mesos' unit for mem and disk) in the largest unit that keeps the number readable. */
export function formatMb(mb: number): string {
  if (!Number.isFinite(mb)) return '–'
  if (mb >= 1024 * 1024) return `${trim(mb / (1024 * 1024))} TB`
  if (mb >= 1024) return `${trim(mb / 1024)} GB`
  return `${trim(mb)} MB`
}

/** Bytes (file sizes) likewise. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${trim(bytes / 1024)} KB`
  return formatMb(bytes / (1024 * 1024))
}

/** cpus, gpus: at most two decimals, no trailing zeros. */
export function formatCount(n: number): string {
  return trim(n)
}

function trim(n: number): string {
  return String(Math.round(n * 100) / 100)
}

/** `used / total` with the percentage, for one charted resource. */
export function formatUsage(name: string, used: number, total: number): string {
  const f = name === 'mem' || name === 'disk' ? formatMb : formatCount
  const pct = total > 0 ? ` (${Math.round((used / total) * 100)}%)` : ''
  return `${f(used)} / ${f(total)}${pct}`
}

/** A time in seconds since the epoch (TaskStatus.timestamp) as local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(seconds: number | undefined): string {
  if (!seconds) return '–'
  const d = new Date(seconds * 1000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** A TimeInfo ({nanoseconds}) as seconds. */
export const timeInfoSeconds = (t: { nanoseconds: number } | undefined) => (t ? t.nanoseconds / 1e9 : undefined)

/** How long ago, coarsely: `5s`, `3m`, `2h`, `4d`. */
export function formatAgo(seconds: number | undefined, nowMs = Date.now()): string {
  if (!seconds) return '–'
  const s = Math.max(0, Math.round(nowMs / 1000 - seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}

/** `TASK_RUNNING` → `running`, for badges. */
export function stateLabel(state: string): string {
  return state.replace(/^TASK_/, '').toLowerCase().replace(/_/g, ' ')
}

/** A badge colour class for a task state. */
export function stateTone(state: string): 'ok' | 'busy' | 'bad' | 'done' {
  if (state === 'TASK_RUNNING') return 'ok'
  if (state === 'TASK_FINISHED') return 'done'
  if (['TASK_STAGING', 'TASK_STARTING', 'TASK_KILLING'].includes(state)) return 'busy'
  return 'bad'
}

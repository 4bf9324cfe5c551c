// Human output: aligned tables, colour only on a TTY without NO_COLOR, relative times; --json prints data only.

import { Chalk } from 'chalk'

export const color = new Chalk({ level: process.stdout.isTTY && !process.env.NO_COLOR ? 1 : 0 })

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map(r => r.map(String))]
  const widths = headers.map((_, i) => Math.max(...cells.map(r => visibleLength(r[i] ?? ''))))
  const line = (r: string[], head = false) =>
    r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c)))).join('  ').trimEnd()
  return [color.bold(line(headers, true)), ...cells.slice(1).map(r => line(r))].join('\n')
}

const visibleLength = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length

export function printJson(value: unknown) {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

export function ago(seconds: number | undefined): string {
  if (!seconds) return '-'
  const d = Date.now() / 1000 - seconds
  if (d < 60) return `${Math.max(0, Math.round(d))}s ago`
  if (d < 3600) return `${Math.round(d / 60)}m ago`
  if (d < 86400) return `${Math.round(d / 3600)}h ago`
  return `${Math.round(d / 86400)}d ago`
}

export function stateColor(state: string): string {
  if (['TASK_RUNNING', 'TASK_FINISHED'].includes(state)) return color.green(state)
  if (['TASK_FAILED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE'].includes(state)) return color.red(state)
  if (['TASK_KILLED', 'TASK_KILLING', 'TASK_UNREACHABLE'].includes(state)) return color.yellow(state)
  return state
}

export const short = (id: string, n = 12) => (id.length > n ? id.slice(0, n) : id)

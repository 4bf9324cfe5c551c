// Small pieces shared by the pages: state badges, usage meters, sparklines, key/value lists, keyboard-navigable
// tables.

import type { ComponentChildren } from 'preact'
import { useRef } from 'preact/hooks'
import { formatUsage, stateLabel, stateTone } from '../model/format.ts'
import { sparkline, type Sample } from '../model/series.ts'
import { html } from './html.ts'

export function StateBadge({ state }: { state: string }) {
  return html`<span class=${`badge ${stateTone(state)}`} title=${state}>${stateLabel(state)}</span>`
}

export function Meter({ name, used, total }: { name: string; used: number; total: number }) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0
  return html`<div class="meter">
    <div class="meter-head"><span class="meter-name">${name}</span><span class="meter-value">${formatUsage(name, used, total)}</span></div>
    <svg class="meter-bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label=${`${name} ${Math.round(pct)}% used`}>
      <rect class="meter-track" x="0" y="0" width="100" height="6" rx="3" />
      <rect class="meter-fill" x="0" y="0" width=${pct} height="6" rx="3" />
    </svg>
  </div>`
}

export function Sparkline({ samples, max, spanMs, now, label }: { samples: Sample<number>[]; max: number; spanMs: number; now: number; label: string }) {
  const points = sparkline(samples, max, 200, 40, spanMs, now)
  return html`<svg class="spark" viewBox="0 0 200 40" preserveAspectRatio="none" role="img" aria-label=${label}>
    <line class="spark-axis" x1="0" y1="40" x2="200" y2="40" />
    ${points ? html`<polyline class="spark-line" points=${points} />` : null}
  </svg>`
}

export function Fields({ rows }: { rows: [string, ComponentChildren][] }) {
  return html`<dl class="fields">${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v ?? '–'}</dd></div>`)}</dl>`
}

export function Empty({ children }: { children: ComponentChildren }) {
  return html`<p class="empty">${children}</p>`
}

/**
 * A table whose rows are links: Tab reaches the table, j/k (or the arrow keys) move between rows, Enter opens one.
 */
export function NavTable({ head, children, label }: { head: ComponentChildren; children: ComponentChildren; label: string }) {
  const ref = useRef<HTMLTableElement>(null)
  const onKey = (e: KeyboardEvent) => {
    const rows = [...(ref.current?.querySelectorAll<HTMLTableRowElement>('tbody tr[data-href]') ?? [])]
    if (!rows.length) return
    const i = rows.findIndex(r => r === document.activeElement)
    const move = (to: number) => { e.preventDefault(); rows[Math.max(0, Math.min(rows.length - 1, to))]!.focus() }
    if (e.key === 'j' || e.key === 'ArrowDown') move(i + 1)
    else if (e.key === 'k' || e.key === 'ArrowUp') move(i < 0 ? 0 : i - 1)
    else if (e.key === 'Enter' && i >= 0) { e.preventDefault(); location.hash = rows[i]!.dataset.href! }
  }
  return html`<div class="table-wrap"><table ref=${ref} onKeyDown=${onKey} aria-label=${label}><thead>${head}</thead><tbody>${children}</tbody></table></div>`
}

/** A row that opens `href` on click or Enter; focusable for keyboard users. */
export function LinkRow({ href, children, id }: { href: string; children: ComponentChildren; id?: string }) {
  return html`<tr data-href=${href} data-id=${id} tabindex="0" onClick=${(e: MouseEvent) => { if (!(e.target as HTMLElement).closest('a')) location.hash = href }}>${children}</tr>`
}

// Draws a pipeline's DAG as text, one step a line, top-down in dependency order, with box-drawing lanes on the left
// the way `git log --graph` draws history (pure: steps in, lines out; docs/jobs.md shows an example).
//
// A lane belongs to a step whose dependents are not all drawn yet: all the edges out of one step share its lane, so a
// fan-out of fifty steps needs one lane, not fifty. A connector line above a step joins the lanes of the steps it
// depends on to the step's own column (`├─┐` a new branch, `├─┘` a join); a lane crossed on the way keeps its `│`.
// Lines never exceed `width`: labels are cut with `…`, and a graph whose lanes alone would not leave room for a
// label (or that has a cycle, which no valid pipeline has) is drawn as a list instead, each step naming what it
// depends on.

export interface DagStep {
  id: string
  dependencies: readonly string[]
  /** The step's state in the run drawn (WAITING, ACTIVE, SUCCESS, FAILED, SKIPPED, REUSED); none when never run. */
  status?: string
  /** For a SKIPPED step: the failed step that stopped it. */
  skippedBecause?: string
}

export interface DagRenderOptions {
  /** The widest a line may be (columns); at least 20 is honoured. */
  width: number
  /** Colours a piece of text for a step's state (chalk on a TTY); identity by default. */
  paint?: (status: string | undefined, text: string) => string
}

/** A label gets at least this many columns before the drawing falls back to a list. */
const MIN_LABEL = 16

export function renderDag(steps: readonly DagStep[], o: DagRenderOptions): string[] {
  const width = Math.max(20, Math.floor(o.width))
  const paint = o.paint ?? ((_s, t) => t)
  const nodes = withMissingDependencies(steps)
  const order = drawingOrder(nodes)
  if (!order) return renderList(nodes, width, paint)
  const rows = laneRows(order, nodes)
  if (rows.some(r => r.lanes.length + MIN_LABEL > width)) return renderList(order, width, paint)
  return rows.map(r => {
    if (!r.node) return r.lanes.trimEnd()
    const marker = paint(r.node.status, markerOf(r.node.status))
    const lanes = r.lanes.slice(0, r.nodeAt) + marker + r.lanes.slice(r.nodeAt + 1)
    return `${lanes}${label(r.node, width - r.lanes.length, paint)}`
  })
}

/** `build [SUCCESS]`, `package [SKIPPED] skipped: build-mac`, or the bare id for a step never run. */
export function stepLabel(s: DagStep): string {
  if (!s.status) return s.id
  return `${s.id} [${s.status}]${s.status === 'SKIPPED' && s.skippedBecause ? ` skipped: ${s.skippedBecause}` : ''}`
}

function label(s: DagStep, room: number, paint: NonNullable<DagRenderOptions['paint']>): string {
  const text = stepLabel(s)
  if (text.length <= room) return paint(s.status, text)
  return paint(s.status, `${text.slice(0, Math.max(0, room - 1))}…`)
}

const markerOf = (status: string | undefined) => (!status || status === 'WAITING' ? '○' : '●')

/** Steps named as dependencies but absent from the list are drawn too (as never run), so no edge is dropped. */
function withMissingDependencies(steps: readonly DagStep[]): DagStep[] {
  const known = new Set(steps.map(s => s.id))
  const out = [...steps]
  for (const s of steps) {
    for (const d of s.dependencies) {
      if (!known.has(d)) { known.add(d); out.push({ id: d, dependencies: [] }) }
    }
  }
  return out
}

/**
 * A topological order that keeps chains together: of the steps whose dependencies are all drawn, the one depending
 * on the most recently drawn step goes next (ties: input order). Undefined when there is a cycle.
 */
function drawingOrder(nodes: readonly DagStep[]): DagStep[] | undefined {
  const index = new Map(nodes.map((n, i) => [n.id, i]))
  const placedAt = new Map<string, number>()
  const out: DagStep[] = []
  const pending = new Set(nodes.map(n => n.id))
  while (pending.size) {
    let best: DagStep | undefined
    let bestKey = -Infinity
    for (const id of pending) {
      const n = nodes[index.get(id)!]!
      if (!n.dependencies.every(d => placedAt.has(d))) continue
      const key = Math.max(-1, ...n.dependencies.map(d => placedAt.get(d)!))
      if (key > bestKey || (key === bestKey && index.get(n.id)! < index.get(best!.id)!)) { best = n; bestKey = key }
    }
    if (!best) return undefined
    placedAt.set(best.id, out.length)
    out.push(best)
    pending.delete(best.id)
  }
  return out
}

interface Row {
  /** The lane glyphs, two columns a lane (glyph and gap), as wide as the lanes in use on that line. */
  lanes: string
  /** On a step's line: the step and the column of its marker. */
  node?: DagStep
  nodeAt: number
}

/** The connector and step lines, lanes only (markers and labels are added by the caller). */
function laneRows(order: readonly DagStep[], nodes: readonly DagStep[]): Row[] {
  const dependents = new Map<string, number>()
  for (const n of nodes) for (const d of new Set(n.dependencies)) dependents.set(d, (dependents.get(d) ?? 0) + 1)
  const remaining = new Map(dependents)
  /** Lane owners by column; null: a free column. */
  const cols: (string | null)[] = []
  const rows: Row[] = []
  const laneText = (glyphs: string[], joins: boolean[]) =>
    glyphs.map((g, c) => g + (c < glyphs.length - 1 ? (joins[c] ? '─' : ' ') : ' ')).join('')

  for (const n of order) {
    const parents = [...new Set(n.dependencies)]
    const parentCols = parents.map(p => cols.indexOf(p))
    const ending = new Set<number>()
    parents.forEach((p, i) => {
      const left = remaining.get(p)! - 1
      remaining.set(p, left)
      if (left === 0) ending.add(parentCols[i]!)
    })
    const free = cols.indexOf(null)
    const nodeCol = ending.size ? Math.min(...ending) : free >= 0 ? free : cols.length
    const straight = parents.length === 1 && parentCols[0] === nodeCol
    if (parents.length && !straight) {
      const involved = [...parentCols, nodeCol]
      const lo = Math.min(...involved)
      const hi = Math.max(...involved)
      const n0 = Math.max(cols.length, hi + 1)
      const glyphs: string[] = []
      for (let c = 0; c < n0; c++) {
        const isParent = parentCols.includes(c)
        const isNode = c === nodeCol
        const inSpan = c >= lo && c <= hi
        if (isParent || isNode) {
          glyphs.push(boxChar(isParent, isNode || (isParent && !ending.has(c)), c > lo, c < hi))
        } else {
          const active = (cols[c] ?? null) !== null
          glyphs.push(active ? '│' : inSpan ? '─' : ' ')
        }
      }
      const joins = glyphs.map((_, c) => c >= lo && c < hi)
      rows.push({ lanes: laneText(glyphs, joins), nodeAt: -1 })
    }
    for (const c of ending) if (c !== nodeCol) cols[c] = null
    cols[nodeCol] = n.id
    while (cols.length && cols[cols.length - 1] === null) cols.pop()
    const glyphs = cols.map((owner, c) => (c === nodeCol ? '●' : owner !== null ? '│' : ' '))
    rows.push({ lanes: laneText(glyphs, []), node: n, nodeAt: 2 * nodeCol })
    if (!(dependents.get(n.id) ?? 0)) cols[nodeCol] = null
    while (cols.length && cols[cols.length - 1] === null) cols.pop()
  }
  return rows
}

function boxChar(up: boolean, down: boolean, left: boolean, right: boolean): string {
  const key = `${+up}${+down}${+left}${+right}`
  const glyphs: Record<string, string> = {
    1100: '│', '0011': '─', 1101: '├', 1110: '┤', 1111: '┼', '0101': '┌', '0110': '┐', '0111': '┬',
    1001: '└', 1010: '┘', 1011: '┴', 1000: '│', '0100': '│', '0001': '─', '0010': '─',
  }
  return glyphs[key] ?? ' '
}

/** The fallback: one step a line in dependency order, `● package [SKIPPED] skipped: x ← build-a, build-b`. */
function renderList(nodes: readonly DagStep[], width: number, paint: NonNullable<DagRenderOptions['paint']>): string[] {
  return nodes.map(n => {
    const deps = n.dependencies.length ? ` ← ${n.dependencies.join(', ')}` : ''
    const marker = paint(n.status, markerOf(n.status))
    const text = stepLabel(n)
    const room = width - 2
    if (text.length + deps.length <= room) return `${marker} ${paint(n.status, text)}${deps}`
    if (text.length <= room) return `${marker} ${paint(n.status, text)}${deps.slice(0, room - text.length - 1)}…`
    return `${marker} ${paint(n.status, `${text.slice(0, room - 1)}…`)}`
  })
}

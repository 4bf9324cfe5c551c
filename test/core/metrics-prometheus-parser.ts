// A strict reader of the Prometheus text exposition format 0.0.4 for tests: it throws on anything a Prometheus
// server would reject (a sample before its TYPE, a family split or typed twice, bad names, bad label syntax,
// unparsable values, non-cumulative buckets, a histogram without +Inf equal to its count).

export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface ParsedFamily { name: string; type: string; help?: string; samples: Sample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set(['counter', 'gauge', 'summary', 'histogram', 'untyped'])

function parseValue(s: string, line: string): number {
  if (s === '+Inf') return Infinity
  if (s === '-Inf') return -Infinity
  if (s === 'NaN') return NaN
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value '${s}' in: ${line}`)
  return Number(s)
}

function parseLabels(text: string, line: string): Record<string, string> {
  const out: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    const eq = text.indexOf('=', i)
    if (eq < 0) throw new Error(`bad labels in: ${line}`)
    const name = text.slice(i, eq)
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name '${name}' in: ${line}`)
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`)
    let j = eq + 2
    let value = ''
    for (;;) {
      const c = text[j]
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`)
      if (c === '"') break
      if (c === '\\') {
        const n = text[j + 1]
        if (n === 'n') value += '\n'
        else if (n === '\\' || n === '"') value += n
        else throw new Error(`bad escape in: ${line}`)
        j += 2
        continue
      }
      if (c === '\n') throw new Error(`raw newline in label value: ${line}`)
      value += c
      j++
    }
    if (name in out) throw new Error(`label '${name}' twice in: ${line}`)
    out[name] = value
    i = j + 1
    if (text[i] === ',') i++
    else if (i !== text.length) throw new Error(`bad label separator in: ${line}`)
  }
  return out
}

/** The family a sample belongs to: a summary's or histogram's `_sum`, `_count`, `_bucket` lines are its own. */
function familyOf(name: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  const direct = families.get(name)
  if (direct) return direct
  for (const suffix of ['_sum', '_count', '_bucket']) {
    if (!name.endsWith(suffix)) continue
    const f = families.get(name.slice(0, -suffix.length))
    if (f && (f.type === 'summary' || f.type === 'histogram')) return f
  }
  return undefined
}

export function parsePrometheus(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline')
  const families = new Map<string, ParsedFamily>()
  const closed = new Set<string>()
  let current: ParsedFamily | undefined
  const seen = new Set<string>()
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      const m = line.match(/^# (HELP|TYPE) (\S+) ?(.*)$/)
      if (!m) continue // a plain comment
      const [, kind, name, rest] = m
      if (!NAME.test(name!)) throw new Error(`bad metric name in: ${line}`)
      if (closed.has(name!)) throw new Error(`family ${name} is split: ${line}`)
      let f = families.get(name!)
      if (!f) {
        if (current && current.name !== name) closed.add(current.name)
        f = { name: name!, type: 'untyped', samples: [] }
        families.set(name!, f)
      }
      current = f
      if (kind === 'TYPE') {
        if (!TYPES.has(rest!)) throw new Error(`bad type in: ${line}`)
        if (f.samples.length) throw new Error(`TYPE after samples: ${line}`)
        if (f.type !== 'untyped') throw new Error(`TYPE twice for ${name}`)
        f.type = rest!
      } else {
        if (f.help !== undefined) throw new Error(`HELP twice for ${name}`)
        f.help = rest
      }
      continue
    }
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/)
    if (!m) throw new Error(`bad sample line: ${line}`)
    const [, name, , labelText, value] = m
    const f = familyOf(name!, families)
    if (!f) throw new Error(`sample without a TYPE: ${line}`)
    if (current !== f) throw new Error(`sample outside its family's block: ${line}`)
    const labels = labelText ? parseLabels(labelText, line) : {}
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (seen.has(series)) throw new Error(`duplicate series: ${line}`)
    seen.add(series)
    f.samples.push({ name: name!, labels, value: parseValue(value!, line) })
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f)
  return families
}

function checkHistogram(f: ParsedFamily) {
  const buckets = f.samples.filter(s => s.name === `${f.name}_bucket`)
  const count = f.samples.find(s => s.name === `${f.name}_count`)
  if (!f.samples.some(s => s.name === `${f.name}_sum`) || !count) throw new Error(`histogram ${f.name} lacks _sum or _count`)
  let prev = -Infinity
  let last = 0
  for (const b of buckets) {
    const le = parseValue(b.labels.le ?? '', `le of ${f.name}`)
    if (!(le > prev)) throw new Error(`histogram ${f.name}: buckets not in increasing order`)
    if (b.value < last) throw new Error(`histogram ${f.name}: buckets not cumulative`)
    prev = le
    last = b.value
  }
  if (prev !== Infinity) throw new Error(`histogram ${f.name} has no +Inf bucket`)
  if (last !== count.value) throw new Error(`histogram ${f.name}: +Inf bucket ${last} != count ${count.value}`)
}

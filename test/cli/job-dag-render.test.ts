// The pipeline drawing of `meso job show` (src/cli/dag-render.ts): snapshots of the shapes pipelines take (chain,
// diamond, two roots, wide fan-out with and without a join, edges that skip a layer, crossing lanes), and the width
// bound: no line is ever wider than asked, labels are cut with `…`, too many lanes fall back to a list.

import { describe, expect, test } from 'bun:test'
import { renderDag, stepLabel, type DagStep } from '../../src/cli/dag-render.ts'

const s = (id: string, dependencies: string[] = [], status?: string, skippedBecause?: string): DagStep =>
  ({ id, dependencies, ...(status ? { status } : {}), ...(skippedBecause ? { skippedBecause } : {}) })

const draw = (steps: DagStep[], width = 80) => {
  const lines = renderDag(steps, { width })
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(width)
  return lines.join('\n')
}

describe('renderDag snapshots', () => {
  test('a chain is one straight lane', () => {
    expect(draw([s('fetch', [], 'SUCCESS'), s('build', ['fetch'], 'SUCCESS'), s('test', ['build'], 'ACTIVE'), s('ship', ['test'], 'WAITING')])).toBe(
`● fetch [SUCCESS]
● build [SUCCESS]
● test [ACTIVE]
○ ship [WAITING]`)
  })

  test('a diamond with one failed branch: the join is skipped, naming the failed step', () => {
    expect(draw([
      s('checkout', [], 'SUCCESS'), s('build-linux', ['checkout'], 'SUCCESS'), s('build-mac', ['checkout'], 'FAILED'),
      s('package', ['build-linux', 'build-mac'], 'SKIPPED', 'build-mac'),
    ])).toBe(
`● checkout [SUCCESS]
├─┐
│ ● build-linux [SUCCESS]
● │ build-mac [FAILED]
├─┘
● package [SKIPPED] skipped: build-mac`)
  })

  test('two roots joining', () => {
    expect(draw([s('fetch-a', [], 'SUCCESS'), s('fetch-b', [], 'REUSED'), s('merge', ['fetch-a', 'fetch-b'], 'ACTIVE'), s('report', ['merge'], 'WAITING')])).toBe(
`● fetch-a [SUCCESS]
│ ● fetch-b [REUSED]
├─┘
● merge [ACTIVE]
○ report [WAITING]`)
  })

  test('a wide fan-out shares one lane; its join gathers every branch', () => {
    const shards = Array.from({ length: 4 }, (_, i) => `shard-${i}`)
    expect(draw([s('split', [], 'SUCCESS'), ...shards.map((id, i) => s(id, ['split'], i === 1 ? 'FAILED' : 'SUCCESS')), s('collect', shards, 'SKIPPED', 'shard-1')])).toBe(
`● split [SUCCESS]
├─┐
│ ● shard-0 [SUCCESS]
├─│─┐
│ │ ● shard-1 [FAILED]
├─│─│─┐
│ │ │ ● shard-2 [SUCCESS]
● │ │ │ shard-3 [SUCCESS]
├─┴─┴─┘
● collect [SKIPPED] skipped: shard-1`)
  })

  test('a fan-out without a join stays two lanes wide however wide it is', () => {
    const leaves = Array.from({ length: 30 }, (_, i) => s(`leaf-${i}`, ['root'], 'WAITING'))
    const lines = renderDag([s('root', [], 'ACTIVE'), ...leaves], { width: 40 })
    expect(lines.length).toBe(1 + 29 * 2 + 1)
    expect(Math.max(...lines.map(l => l.indexOf('leaf')).filter(i => i >= 0))).toBe(4)
    expect(lines.slice(0, 4)).toEqual(['● root [ACTIVE]', '├─┐', '│ ○ leaf-0 [WAITING]', '├─┐'])
  })

  test('an edge that skips a layer, and a step never run (no state)', () => {
    expect(draw([s('a'), s('b', ['a']), s('c', ['b', 'a']), s('d', ['a'])])).toBe(
`○ a
├─┐
│ ○ b
├─┤
│ ○ c
○ d`)
  })

  test('crossing lanes keep their │ where a join passes them', () => {
    expect(draw([s('a'), s('b'), s('c', ['a']), s('d', ['b']), s('e', ['a', 'b']), s('f', ['c', 'd', 'e'])])).toBe(
`○ a
├─┐
│ ○ c
│ │ ○ b
│ │ ├─┐
│ │ │ ○ d
├─│─┘ │
○ │   │ e
├─┴───┘
○ f`)
  })

  test('a dependency missing from the list is drawn as a step never run', () => {
    expect(draw([s('deploy', ['build'], 'WAITING')])).toBe(
`○ build
○ deploy [WAITING]`)
  })
})

describe('renderDag width bound', () => {
  test('labels are cut with … to fit', () => {
    const lines = renderDag([s('a-very-long-step-name-indeed', [], 'SUCCESS'), s('b', ['a-very-long-step-name-indeed'], 'SKIPPED', 'a-very-long-step-name-indeed')], { width: 24 })
    expect(lines).toEqual(['● a-very-long-step-name…', '● b [SKIPPED] skipped: …'])
  })

  test('more lanes than the width allows: a list naming each step\'s dependencies', () => {
    const shards = Array.from({ length: 40 }, (_, i) => `s${i}`)
    const lines = renderDag([s('root'), ...shards.map(id => s(id, ['root'])), s('join', shards)], { width: 60 })
    expect(lines.length).toBe(42)
    expect(lines[1]).toBe('○ s0 ← root')
    expect(lines[41]!.startsWith('○ join ← s0, s1, s2')).toBe(true)
    expect(lines[41]!.endsWith('…')).toBe(true)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60)
  })

  test('a cycle (no valid pipeline has one) is listed, not looped on', () => {
    expect(renderDag([s('a', ['b']), s('b', ['a'])], { width: 80 })).toEqual(['○ a ← b', '○ b ← a'])
  })

  test('colour goes around the marker and the label only', () => {
    const paint = (status: string | undefined, t: string) => `<${status}>${t}</>`
    expect(renderDag([s('a', [], 'SUCCESS'), s('b', ['a'], 'FAILED')], { width: 80, paint })).toEqual([
      '<SUCCESS>●</> <SUCCESS>a [SUCCESS]</>',
      '<FAILED>●</> <FAILED>b [FAILED]</>',
    ])
  })
})

test('stepLabel', () => {
  expect(stepLabel(s('x'))).toBe('x')
  expect(stepLabel(s('x', [], 'ACTIVE'))).toBe('x [ACTIVE]')
  expect(stepLabel(s('x', [], 'SKIPPED', 'y'))).toBe('x [SKIPPED] skipped: y')
})

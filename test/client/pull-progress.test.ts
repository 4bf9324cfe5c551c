import { describe, expect, test } from 'bun:test'
import { bar, formatBytes, formatEta, layerRow, PlainPullPrinter, PullProgress } from '../../src/client/pull-progress.ts'

const L = `sha256:${'ab'.repeat(32)}`

describe('pull progress', () => {
  test('bytes, rate and ETA from progress records', () => {
    const p = new PullProgress(['a1'])
    p.apply('a1', { type: 'resolved', reference: 'r/x:1', digest: 'sha256:m', layers: [{ digest: L, size: 4_000_000 }] }, 0)
    p.apply('a1', { type: 'layer', digest: L, status: 'downloading', current: 0, total: 4_000_000 }, 1000)
    p.apply('a1', { type: 'layer', digest: L, status: 'downloading', current: 1_000_000, total: 4_000_000 }, 2000)
    const [row] = p.rows('a1')
    expect(row).toMatchObject({ id: 'abababababab', status: 'downloading', current: 1_000_000, total: 4_000_000, fraction: 0.25, rate: 1_000_000, eta: 3 })
    p.apply('a1', { type: 'layer', digest: L, status: 'done', total: 4_000_000 }, 3000)
    expect(layerRow(p.agents.get('a1')!.layers.get(L)!)).toMatchObject({ status: 'done', current: 4_000_000, fraction: 1 })
    expect(p.finished).toBe(false)
    p.apply('a1', { type: 'done', reference: 'r/x:1', digest: 'sha256:m', size: 1 })
    expect(p.finished).toBe(true)
  })

  test('formatting', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(250 * 1024 * 1024)).toBe('250 MB')
    expect(formatEta(4.2)).toBe('5s')
    expect(formatEta(125)).toBe('2m05s')
    expect(formatEta(7300)).toBe('2h01m')
    expect(bar(0.5, 10)).toBe('█████░░░░░')
  })

  test('plain lines: one per state change, progress at most every few seconds, agent prefix with several agents', () => {
    const lines: string[] = []
    const p = new PullProgress(['a1', 'a2'])
    const pr = new PlainPullPrinter(p, l => lines.push(l), 2000)
    pr.onRecord('a1', { type: 'resolved', reference: 'r/x:1', digest: 'sha256:m', layers: [{ digest: L, size: 2048 }] }, 0)
    pr.onRecord('a1', { type: 'layer', digest: L, status: 'waiting', total: 2048 }, 0)
    pr.onRecord('a1', { type: 'layer', digest: L, status: 'downloading', current: 100, total: 2048 }, 100)
    pr.onRecord('a1', { type: 'layer', digest: L, status: 'downloading', current: 200, total: 2048 }, 500)
    pr.onRecord('a1', { type: 'layer', digest: L, status: 'downloading', current: 1100, total: 2048 }, 2200)
    pr.onRecord('a1', { type: 'layer', digest: L, status: 'done', total: 2048 }, 2300)
    pr.onRecord('a2', { type: 'error', message: 'boom' }, 2300)
    expect(lines).toEqual([
      'a1: r/x:1: sha256:m (1 layers)',
      'a1: abababababab: waiting  2.0 KB',
      'a1: abababababab: downloading  100 B / 2.0 KB',
      'a1: abababababab: downloading  1.1 KB / 2.0 KB  476 B/s  ETA 2s',
      'a1: abababababab: done',
      'a2: error: boom',
    ])
  })
})

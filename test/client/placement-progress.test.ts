// The "waiting: …" line of meso task run (src/client/placement-progress.ts): redrawn in place on a terminal, one
// plain line per change of reason elsewhere.

import { expect, test } from 'bun:test'
import { waitingLineDelayMs, WaitingLine } from '../../src/client/placement-progress.ts'

const sink = (isTTY: boolean, columns?: number) => {
  const writes: string[] = []
  return { writes, out: { isTTY, columns, write: (s: string) => writes.push(s) } }
}

test('not a terminal: one line each time the reason changes, none for repeats', () => {
  const { writes, out } = sink(false)
  const line = new WaitingLine(out)
  line.show('cpus 1 in use on 1/1 agents')
  line.show('cpus 1 in use on 1/1 agents')
  line.show('cpus 1 in use on 1/1 agents')
  line.show('no agents registered')
  line.stop()
  expect(writes).toEqual(['waiting: cpus 1 in use on 1/1 agents\n', 'waiting: no agents registered\n'])
})

test('a terminal: the line is redrawn in place, cut to the width, and erased on stop', async () => {
  const { writes, out } = sink(true, 40)
  const line = new WaitingLine(out)
  line.show('ports 31080 in use on 2/2 agents, cpus 4 in use on 1/2 agents')
  await Bun.sleep(250)
  line.stop()
  const n = writes.length
  await Bun.sleep(150)
  expect(writes.length).toBe(n) // no redraws after stop
  expect(writes.length).toBeGreaterThanOrEqual(3)
  for (const w of writes.slice(0, -1)) {
    expect(w.startsWith('\r\x1b[K')).toBe(true)
    expect(w.length - 4).toBeLessThanOrEqual(39)
    expect(w).toContain('waiting: ports 31080')
  }
  expect(writes.at(-1)).toBe('\r\x1b[K')
})

test('the line waits a second on a terminal, five seconds elsewhere (a normal launch shows nothing)', () => {
  expect(waitingLineDelayMs({ isTTY: true })).toBe(1000)
  expect(waitingLineDelayMs({ isTTY: false })).toBe(5000)
})

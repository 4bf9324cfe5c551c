// The bound on concurrent container creates (src/agent/containerizer/linux/launch-slots.ts).

import { expect, test } from 'bun:test'
import { defaultLaunchSlots, LaunchSlots } from '../../src/agent/containerizer/linux/launch-slots.ts'

test('at most `limit` run at once; the rest start in arrival order as slots free up, failures included', async () => {
  const slots = new LaunchSlots(2)
  const started: number[] = []
  const releases: (() => void)[] = []
  const runs = [0, 1, 2, 3].map(i => slots.run(() => {
    started.push(i)
    return new Promise<number>((resolve, reject) => releases[i] = () => (i === 1 ? reject(new Error('create failed')) : resolve(i)))
  }))
  await Bun.sleep(0)
  expect(started).toEqual([0, 1])
  expect([slots.running, slots.waiting]).toEqual([2, 2])
  releases[1]!()
  await expect(runs[1]!).rejects.toThrow('create failed')
  await Bun.sleep(0)
  expect(started).toEqual([0, 1, 2])
  releases[0]!()
  releases[2]!()
  await Bun.sleep(0)
  expect(started).toEqual([0, 1, 2, 3])
  releases[3]!()
  expect(await Promise.all([runs[0], runs[2], runs[3]])).toEqual([0, 2, 3])
  expect([slots.running, slots.waiting]).toEqual([0, 0])
})

test('the default scales with the CPUs, never below 16; a limit under 1 is refused', () => {
  expect(defaultLaunchSlots(1)).toBe(32)
  expect(defaultLaunchSlots(2)).toBe(64)
  expect(defaultLaunchSlots(0)).toBe(16)
  expect(() => new LaunchSlots(0)).toThrow('launch slots must be at least 1, not 0')
})

// Preloaded by bunfig.toml for every `bun test` run: whatever the tests leave behind goes when the suite ends.

import { afterAll, beforeEach } from 'bun:test'
import { killLeftovers, killLeftoversOf } from './helpers/processes.ts'

// bun runs every file in one process and a preload's afterAll only once, at the very end; the first test of each
// file (Bun.main names it) is where the previous files' leftovers go.
let currentFile: string | undefined
beforeEach(() => {
  if (Bun.main === currentFile) return
  const current = currentFile = Bun.main
  killLeftoversOf(file => file !== current)
})
afterAll(killLeftovers)
afterAll(async () => (await import('./helpers/netns-cluster.ts')).cleanupNetnsClusters())

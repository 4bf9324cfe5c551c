// Preloaded by bunfig.toml for every `bun test` run: whatever the tests leave behind goes when the suite ends.

import { afterAll } from 'bun:test'
import { killLeftovers } from './helpers/processes.ts'

afterAll(killLeftovers)
afterAll(async () => (await import('./helpers/netns-cluster.ts')).cleanupNetnsClusters())

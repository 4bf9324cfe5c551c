// The compiled binary as users run it: help, parse errors, exit codes, and `meso up`.

import { afterAll, expect, test } from 'bun:test'
import { meso, startDaemon, tempDir, type Daemon } from '../helpers/processes.ts'

const daemons: Daemon[] = []
afterAll(async () => { for (const d of daemons) await d.kill('SIGKILL').catch(() => {}) })

test('--help lists the commands; topic help works; bad flags exit 2 with one line', async () => {
  const help = await meso(['--help'])
  expect(help.code).toBe(0)
  for (const word of ['master', 'agent', 'up', 'task', 'framework', 'cluster']) expect(help.stdout).toContain(word)
  const topic = await meso(['task', '--help'])
  expect(topic.stdout).toContain('task run')
  expect(topic.stdout).toContain('task kill')
  const bad = await meso(['task', 'list', '--bogus'])
  expect(bad.code).toBe(2)
  expect(bad.stderr).toContain('Nonexistent flag: --bogus')
  const unknown = await meso(['frobnicate'])
  expect(unknown.code).toBe(2)
  const badDuration = await meso(['master', '--allocation_interval=soon', `--work_dir=${tempDir()}`])
  expect(badDuration.code).toBe(2)
  expect(badDuration.stderr).toContain('invalid duration')
})

test('the fast path prints the same help as oclif for the root, every topic and every command', async () => {
  const manifest = JSON.parse(await Bun.file(new URL('../../src/cli/manifest.generated.json', import.meta.url)).text())
  const subjects: string[][] = [[], ...Object.keys(manifest.topics).map(t => [t]), ...Object.keys(manifest.commands).map(c => c.split(':'))]
  for (const subject of subjects) {
    const [fast, slow] = await Promise.all([meso([...subject, '--help']), meso([...subject, '--help'], { env: { MESO_NO_FAST_PATH: '1' } })])
    expect({ subject, help: fast.stdout }).toEqual({ subject, help: slow.stdout })
  }
})

test('meso up runs a one-node cluster that takes tasks', async () => {
  const dir = tempDir()
  const up = await startDaemon(['up', `--work_dir=${dir}`, '--port=0', '--launcher=posix'], /master (http:\/\/\S+) \(scheduler API/)
  daemons.push(up)
  const r = await meso(['task', 'run', `--master=${up.url}`, '--', 'sh', '-c', 'echo from-up'], { timeoutMs: 30_000 })
  expect(r.stdout).toBe('from-up\n')
  expect(r.code).toBe(0)
  const s = JSON.parse((await meso(['cluster', 'status', '--json', `--master=${up.url}`])).stdout)
  expect(s.agents.active).toBe(1)
  await up.kill('SIGINT')
  expect(up.proc.exitCode).toBe(0)
})

// The fast-path parser against oclif's own: whenever the fast parser accepts an argv, it must produce exactly
// what oclif produces; whatever it cannot handle it must refuse (then oclif runs and reports).

import { describe, expect, test } from 'bun:test'
import { Parser } from '@oclif/core'
import { parseArgv } from '../../src/cli/argv.ts'
import { COMMANDS } from '../../src/commands/index.ts'
import { commandDef } from '../../scripts/cli-manifest-builder.ts'

const SAMPLES: Record<string, string[][]> = {
  'task:run': [
    ['--', 'true'], ['--cpus', '0.5', '--mem=64', '--', 'sh', '-c', 'echo hi'], ['-d', '--name', 'x', '--', 'sleep', '1'],
    ['--env', 'A=1', '--env=B=2', '--', 'env'], ['-it', '--', 'sh'], ['--timeout', '5', '--', 'true'], ['--timeout', 'x', '--', 'true'],
    ['--rlimit', 'NOFILE=1:2', '--rlimit', 'CORE=0', '--', 'true'], ['--bogus', '--', 'true'], ['--detach', '--detach', '--', 'true'],
    ['-p', '1:2', '--network', 'meso', '--', 'true'], ['--image', 'busybox'], ['true'], ['--cpus'],
    ['--cpus', 'abc', '--', 'true'], ['--cpus=.5', '--mem', '1e3', '--disk', '64', '--', 'true'], ['--gpus', '1', '--', 'true'],
    ['--gpus', '0.5', '--', 'true'], ['--mem', ' 128 ', '--', 'true'], ['--cpus', '-1', '--', 'true'], ['--cpus', '0x10', '--', 'true'],
  ],
  'task:list': [[], ['--all'], ['-a', '--json'], ['--master', 'http://x:1'], ['extra'], ['--json=true'], ['-q'], ['-qa'], ['--quiet', '--all']],
  completion: [['bash'], ['zsh'], ['tcsh'], [], ['bash', 'extra']],
  'task:exec': [['web', '--', 'ls', '-l'], ['-it', 'web', '--', 'sh'], ['-i', 'web', '--', 'cat'], ['web'], []],
  'task:kill': [['web'], ['web', '--grace', '3'], ['web', '--no-wait'], ['--grace', 'soon', 'web'], []],
  'task:logs': [['web', '-f'], ['web', '--tail', '10', '--stderr'], ['web', '-n', '3'], ['web', '--tail', '-1']],
  'task:attach': [['web'], ['web', '--no-stdin', '--detach-keys', 'ctrl-x']],
  'cluster:status': [[], ['--json']],
  'image:pull': [['busybox:1.36'], ['--agent', 'a1', '--registry-user', 'ci', '--registry-password-stdin', 'r:5000/app:2'], []],
  'image:list': [[], ['--json', '--agent=a1']],
  'image:rm': [['busybox'], ['sha256:abc', '--agent', 'x'], []],
  'image:load': [['busybox.tar'], ['--name', 'x:1', 'b.tar']],
  'image:gc': [[], ['--all', '--json']],
}

async function oclifParse(cls: any, argv: string[]) {
  try {
    const r = await Parser.parse(argv, { flags: cls.flags, args: cls.args ?? {}, strict: cls.strict !== false, context: { config: {} } as any })
    return { flags: r.flags, args: r.args, argv: r.argv }
  } catch {
    return undefined
  }
}

/** oclif leaves unset boolean flags undefined or false depending on the flag; both mean "off". */
const normalize = (flags: Record<string, unknown>) => Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined && v !== false))

describe('fast-path parser agrees with oclif', () => {
  for (const [id, samples] of Object.entries(SAMPLES)) {
    test(id, async () => {
      const cls = (COMMANDS as Record<string, any>)[id]
      const def = await commandDef(cls, '')
      for (const argv of samples) {
        const fast = parseArgv(def, argv, {})
        const slow = await oclifParse(cls, argv)
        if (!fast) continue // refused: oclif decides
        expect(slow, `oclif refused ${JSON.stringify(argv)} which the fast parser accepted`).toBeDefined()
        expect({ argv: fast.argv, args: fast.args, flags: normalize(fast.flags) }).toEqual({ argv: slow!.argv.map(String), args: slow!.args as any, flags: normalize(slow!.flags) })
      }
    })
  }
  test('refuses what needs oclif', async () => {
    const def = await commandDef((COMMANDS as any)['task:list'], '')
    for (const argv of [['--bogus'], ['extra'], ['--json=true'], ['--master']]) expect(parseArgv(def, argv, {})).toBeUndefined()
  })
})

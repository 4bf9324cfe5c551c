// The compiled binary as users run it: help, parse errors, exit codes, and `meso up`.

import { afterAll, expect, test } from 'bun:test'
import { existsSync, readFileSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { MESO, ROOT, meso, startDaemon, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const daemons: Daemon[] = []
const ptys: Bun.Subprocess[] = []
/** Task processes left running on purpose (tasks outlive `meso up`), killed at the end. */
const taskPids: number[] = []
afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
  for (const p of ptys) { p.kill('SIGKILL'); await p.exited }
  for (const pid of taskPids) { try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ } }
})

/** The words of a text, whatever its layout. */
const wordsOf = (text: string) => text.split(/\s+/).filter(Boolean)
/** How the shell completion scripts call meso: one executable (bin/meso runs the sources when asked to). */
const MESO_EXE = MESO.length === 1 ? MESO[0]! : join(ROOT, 'bin', 'meso')
const MESO_EXE_ENV: Record<string, string> = MESO.length === 1 ? {} : { MESO_FROM_SOURCE: '1' }

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
  expect(up.log()).toContain('received SIGINT, stopping')
})

test('help and version as people spell them; usage errors name what is missing or mistyped', async () => {
  const [helpRun, runHelp, runH] = await Promise.all([meso(['help', 'task', 'run']), meso(['task', 'run', '--help']), meso(['task', 'run', '-h'])])
  expect(helpRun.code).toBe(0)
  expect(helpRun.stdout).toContain('USAGE')
  expect(helpRun.stdout).toBe(runHelp.stdout)
  expect(runH.stdout).toBe(runHelp.stdout)
  expect((await meso(['help'])).stdout).toBe((await meso(['--help'])).stdout)
  const versions = await Promise.all([meso(['version']), meso(['-v']), meso(['--version'])])
  for (const v of versions) {
    expect(v.code).toBe(0)
    expect(v.stdout).toMatch(/^meso\/\d+\.\d+\.\d+ \S+ bun-\S+\n$/)
    expect(v.stdout).toBe(versions[2]!.stdout)
  }

  for (const [argv, line] of [
    [['taks', 'list'], "error: unknown command 'taks list'; did you mean 'task list'?\n"],
    [['task', 'lsit', '--json'], "error: unknown command 'task lsit'; did you mean 'task list'?\n"],
    [['help', 'tsak'], "error: unknown command 'tsak'; did you mean 'task'?\n"],
    [['frobnicate'], "error: unknown command 'frobnicate'; see 'meso --help'\n"],
    [['task', 'kill'], "error: missing TASK; see 'meso task kill --help'\n"],
    [['task', 'attach'], "error: missing TASK; see 'meso task attach --help'\n"],
    [['task', 'logs', '-f'], "error: missing TASK; see 'meso task logs --help'\n"],
    [['completion'], "error: missing SHELL; see 'meso completion --help'\n"],
  ] as const) {
    const r = await meso([...argv])
    expect({ argv, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ argv, code: 2, stderr: line, stdout: '' })
  }
})

test('help wraps to the width ($COLUMNS, else the terminal) at spaces only', async () => {
  for (const subject of [[], ['task', 'run'], ['image', 'pull']]) {
    const wide = await meso([...subject, '--help'], { env: { COLUMNS: '400' } })
    for (const width of [50, 80, 132]) {
      const r = await meso([...subject, '--help'], { env: { COLUMNS: String(width) } })
      expect(r.code).toBe(0)
      expect(wordsOf(r.stdout)).toEqual(wordsOf(wide.stdout))
      // Only an example (kept whole to be copy-pasteable) or a single word wider than the line may overflow.
      const over = r.stdout.split('\n').filter(l => l.length > width && !l.trim().startsWith('$ ') && /\S\s+\S/.test(l.trim()))
      expect({ subject, width, over }).toEqual({ subject, width, over: [] })
    }
  }
})

test('meso completion prints bash, zsh and fish scripts that complete commands, flags and fixed values', async () => {
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = await meso(['completion', shell])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('__complete')
    const checker = Bun.which(shell)
    if (checker) {
      // Each shell parses its script (syntax only); shells that are not installed are skipped.
      const dir = tempDir()
      await Bun.write(join(dir, `meso.${shell}`), r.stdout)
      const check = Bun.spawnSync([checker, '-n', join(dir, `meso.${shell}`)], { stderr: 'pipe' })
      expect({ shell, code: check.exitCode, stderr: check.stderr.toString() }).toEqual({ shell, code: 0, stderr: '' })
    }
  }
  const bad = await meso(['completion', 'tcsh'])
  expect(bad.code).toBe(2)
  expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1)
  expect(await bashComplete(['ta'], {})).toEqual(['task'])
  expect(await bashComplete(['task', 'l'], {})).toEqual(['list', 'logs'])
  expect(await bashComplete(['task', 'list', '--q'], {})).toEqual(['--quiet'])
  expect(await bashComplete(['up', '--launcher', ''], {})).toEqual(['linux', 'posix'])
  // zsh and fish (installed by install.sh as test fixtures) relay the same answers; bash and zsh fall back to files.
  if (Bun.which('zsh')) {
    expect(await zshComplete(['task', 'l'], {})).toEqual(['list', 'logs'])
    expect(await zshComplete(['task', 'run', '--', ''], {})).toEqual(['<files>'])
  }
  if (Bun.which('fish')) {
    expect(await fishComplete(['ta'], {})).toEqual(['task'])
    expect(await fishComplete(['up', '--launcher', ''], {})).toEqual(['linux', 'posix'])
  }
  // No cluster at this address: task names complete to nothing, silently and quickly.
  const started = Date.now()
  expect(await bashComplete(['task', 'kill', ''], { MESO_MASTER: 'http://127.0.0.1:1' })).toEqual([])
  expect(Date.now() - started).toBeLessThan(5_000)
})

/** Runs the bash completion function as bash would on TAB after `meso WORDS…` and returns what it offers. */
async function bashComplete(words: string[], env: Record<string, string>): Promise<string[]> {
  const line = ['meso', ...words].join(' ')
  const script = [
    `source <(${shellQuote(MESO_EXE)} completion bash)`,
    `COMP_LINE=${shellQuote(line)}; COMP_POINT=\${#COMP_LINE}`,
    `COMP_WORDS=(${shellQuote(MESO_EXE)} ${words.map(shellQuote).join(' ')}); COMP_CWORD=${words.length}`,
    '_meso_complete',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n')
  const proc = Bun.spawn(['bash', '-c', script], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, ...MESO_EXE_ENV, ...env } })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  expect({ code, err }).toEqual({ code: 0, err: '' })
  return out.split('\n').filter(Boolean)
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** zsh's completion function with compadd and _files stood in for (they need a live line editor). */
async function zshComplete(words: string[], env: Record<string, string>): Promise<string[]> {
  const script = [
    'compdef() { :; }',
    'compadd() { [[ $1 == -a ]] && print -l -- ${(P)2} }',
    '_files() { print -- "<files>" }',
    `source <(${shellQuote(MESO_EXE)} completion zsh)`,
    `words=(${shellQuote(MESO_EXE)} ${words.map(shellQuote).join(' ')}); CURRENT=${words.length + 1}`,
    '_meso',
  ].join('\n')
  return runShell(['zsh', '-f', '-c', script], env)
}

/** fish answers `complete -C LINE` with the candidates for the end of LINE; `meso` is found on PATH. */
async function fishComplete(words: string[], env: Record<string, string>): Promise<string[]> {
  const bin = tempDir()
  symlinkSync(MESO_EXE, join(bin, 'meso'))
  const script = `${shellQuote(MESO_EXE)} completion fish | source; complete -C${shellQuote(['meso', ...words].join(' '))}`
  return (await runShell(['fish', '--no-config', '-c', script], { ...env, PATH: `${bin}:${process.env.PATH}` })).map(l => l.split('\t')[0]!)
}

async function runShell(argv: string[], env: Record<string, string>): Promise<string[]> {
  const proc = Bun.spawn(argv, { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, ...MESO_EXE_ENV, ...env } })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  expect({ argv: argv[0], code, err }).toEqual({ argv: argv[0], code: 0, err: '' })
  return out.split('\n').filter(Boolean)
}

test('meso up on a terminal: task list -q, --env FOO, attach to a finished task, task names on TAB, Ctrl-C stops it', async () => {
  const dir = tempDir()
  // `script` gives meso up a real terminal, so Ctrl-C below is the terminal's SIGINT to the foreground group. It runs
  // the command with $SHELL -c; dash (/bin/sh on Debian, and script's choice when SHELL is unset) does not exec a lone
  // command, so without `exec` the shell shares that group, dies of the SIGINT and script reports 130.
  const command = `exec ${[...MESO, 'up', `--work_dir=${dir}`, '--port=0', '--launcher=posix'].map(shellQuote).join(' ')}`
  const up = Bun.spawn(['script', '-qefc', command, '/dev/null'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1', SHELL: '/bin/sh' } })
  ptys.push(up)
  let output = ''
  // Kept so the checks after exit can wait for the last of the output: the exit can be seen before it is read.
  const drained = (async () => { for await (const chunk of up.stdout) output += new TextDecoder().decode(chunk) })()
  const master = (await waitFor('meso up on a terminal', () => /master (http:\/\/\S+) \(scheduler API/.exec(output)?.[1], 30_000))
  const env = { MESO_MASTER: master }

  const sleeper = await meso(['task', 'run', '-d', '--name', 'sleeper', '--', 'sleep', '120'], { env, timeoutMs: 30_000 })
  expect({ code: sleeper.code, stderr: sleeper.stderr }).toEqual({ code: 0, stderr: '' })
  const sleeperId = sleeper.stdout.trim()
  const done = await meso(['task', 'run', '--name', 'done1', '--', 'true'], { env, timeoutMs: 30_000 })
  expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: '' })

  // --env K=V sets, K= sets empty, a bare K passes the caller's K and is left out when the caller has none.
  const envRun = await meso(['task', 'run', '--env', 'FROM_CALLER', '--env', 'NOT_IN_CALLER', '--env', 'EMPTY=', '--env', 'SET=1', '--', 'env'],
    { env: { ...env, FROM_CALLER: 'caller value' }, timeoutMs: 30_000 })
  expect({ code: envRun.code, stderr: envRun.stderr }).toEqual({ code: 0, stderr: '' })
  const taskEnv = envRun.stdout.split('\n')
  expect(taskEnv).toContain('FROM_CALLER=caller value')
  expect(taskEnv).toContain('EMPTY=')
  expect(taskEnv).toContain('SET=1')
  expect(taskEnv.some(l => l.startsWith('NOT_IN_CALLER='))).toBe(false)

  // -q: ids only, one a line.
  const quiet = await meso(['task', 'list', '-q'], { env })
  expect({ stdout: quiet.stdout, stderr: quiet.stderr }).toEqual({ stdout: `${sleeperId}\n`, stderr: '' })
  const quietAll = (await meso(['task', 'list', '-q', '--all'], { env })).stdout.trim().split('\n')
  expect(quietAll).toContain(sleeperId)
  expect(quietAll.some(id => id.startsWith('done1.'))).toBe(true)
  expect(quietAll.every(id => /^\S+$/.test(id))).toBe(true)

  const attach = await meso(['task', 'attach', 'done1'], { env })
  expect({ code: attach.code, stderr: attach.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/^error: task (done1\.\S+) finished \(TASK_FINISHED, exit 0\); see its output with 'meso task logs \1'\n$/) })

  // TAB on a task argument offers the running tasks' ids and names from the cluster.
  expect(await bashComplete(['task', 'kill', ''], env)).toEqual(['sleeper', sleeperId].sort())
  expect(await bashComplete(['task', 'logs', '-f', 'sle'], env)).toEqual(['sleeper', sleeperId].sort())
  expect(await bashComplete(['task', 'kill', '--master', master, 'sleeper.'], { MESO_MASTER: 'http://127.0.0.1:1' })).toEqual([sleeperId])
  if (Bun.which('zsh')) expect(await zshComplete(['task', 'attach', ''], env)).toEqual(['sleeper', sleeperId].sort())
  if (Bun.which('fish')) expect(await fishComplete(['task', 'exec', 'sle'], env)).toEqual(['sleeper', sleeperId].sort())

  const kill = await meso(['task', 'kill', sleeperId], { env, timeoutMs: 30_000 })
  expect({ code: kill.code, stderr: kill.stderr }).toEqual({ code: 0, stderr: '' })
  // A task running at Ctrl-C keeps running (it is re-adopted on the next start), as after SIGTERM.
  const survivor = await meso(['task', 'run', '-d', '--name', 'survivor', '--', 'sleep', '120'], { env, timeoutMs: 30_000 })
  expect({ code: survivor.code, stderr: survivor.stderr }).toEqual({ code: 0, stderr: '' })

  up.stdin.write('\x03')
  up.stdin.flush()
  // What meso up printed goes with each check, so a failure says why.
  const code = await up.exited
  await Promise.race([drained, Bun.sleep(5_000)])
  expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('received SIGINT, stopping') })
  expect(await fetch(`${master}/health`).then(() => 'up', () => 'down')).toBe('down')
  const containers = [...new Bun.Glob('agent/run/containers/*/pid').scanSync({ cwd: dir, absolute: true })].map(pidFile => ({
    container: dirname(pidFile), pid: Number(readFileSync(pidFile, 'utf8').trim()), ended: existsSync(join(dirname(pidFile), 'exit')),
  }))
  const running = containers.filter(c => !c.ended).map(c => c.pid)
  taskPids.push(...running)
  expect({ running: running.length, containers, output }).toEqual({ running: 1, containers, output })
  expect(() => process.kill(running[0]!, 0)).not.toThrow()
})

// Mesos 1.2-style debugging: exec (with stdin and with a real TTY), attach (TTY and plain), logs -f, sessions
// cleaned up when the client dies, and task groups sharing their executor's namespaces.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { MESO, meso, startAgent, startMaster, tempDir, waitFor, type Daemon } from '../helpers/processes.ts'

const problem = linuxLauncherUnavailable({}) ?? (Bun.which('tmux') ? undefined : 'tmux is not installed')
if (problem) console.warn(`\n*** SKIPPING debugging tests: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

let master: Daemon
let agent: Daemon
const m = () => `--master=${master.url}`
/** tmux on a server of this file's own (`-L`): sessions of other tests or users never share its lifetime. */
const TMUX_SERVER = `meso-test-${process.pid}`
const tmux = (...args: string[]) => Bun.spawnSync(['tmux', '-L', TMUX_SERVER, ...args])

suite('task exec, attach and logs', () => {
  beforeAll(async () => {
    // A session that lasts the whole file keeps the server up: a server whose last session is killed exits, and a
    // session started right after could meet it on its way out ("no server running").
    tmux('new-session', '-d', '-s', 'anchor', 'sleep 3600')
    const dir = tempDir()
    master = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    agent = await startAgent(master.url, `${dir}/agent`, ['--launcher=linux', '--resources=cpus:2;mem:2048'])
    const d = await meso(['task', 'run', m(), '--detach', '--name=target', '--', 'sh', '-c', 'readlink /proc/self/ns/pid > $MESOS_SANDBOX/ns; echo started; while true; do sleep 1; done'])
    expect(d.code).toBe(0)
  })
  afterAll(async () => {
    tmux('kill-server')
    await agent?.kill('SIGKILL').catch(() => {})
    await master?.kill('SIGKILL').catch(() => {})
  })

  test("exec exits with the command's code and runs in the task's namespaces and root", async () => {
    expect((await meso(['task', 'exec', m(), 'target', '--', 'sh', '-c', 'exit 7'])).code).toBe(7)
    const r = await meso(['task', 'exec', m(), 'target', '--', 'sh', '-c', 'echo $$; [ "$(readlink /proc/self/ns/pid)" = "$(cat $MESOS_SANDBOX/ns)" ] && echo same-pid-ns; ls /mnt/mesos/sandbox; touch /etc/x 2>/dev/null || echo ro-root'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(Number(lines[0])).toBeLessThan(50) // a small pid: inside the task's pid namespace
    expect(lines).toContain('same-pid-ns')
    expect(lines).toEqual(expect.arrayContaining(['ns', 'stdout', 'stderr', 'ro-root']))
    expect((await meso(['task', 'exec', m(), 'targ', '--', 'true'])).code).toBe(0) // unique prefix
    expect((await meso(['task', 'exec', m(), 'target', '--', 'no-such-command'])).code).toBe(127)
  })

  test('the wire protocol as the Mesos Python CLI uses it (session, two input requests, WAIT_CONTAINER)', async () => {
    const tasks = (await (await fetch(`${master.url}/tasks?task_id=${encodeURIComponent(JSON.parse((await meso(['task', 'list', m(), '--json'])).stdout).find((t: any) => t.name === 'target').id)}`)).json()) as any
    const parent = tasks.tasks[0].statuses[0].container_status.container_id
    const slaves = (await (await fetch(`${master.url}/slaves`)).json()) as any
    const agentUrl = `http://${slaves.slaves.find((x: any) => x.id === tasks.tasks[0].slave_id).pid.split('@')[1]}`
    const session = { value: crypto.randomUUID(), parent }
    const out = await fetch(`${agentUrl}/api/v1`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/recordio', 'Message-Accept': 'application/json' },
      body: JSON.stringify({ type: 'LAUNCH_NESTED_CONTAINER_SESSION', launch_nested_container_session: { container_id: session, command: { value: 'sh', arguments: ['sh', '-c', 'cat; exit 3'], shell: false } } }),
    })
    expect(out.status).toBe(200)
    expect(out.headers.get('content-type')).toBe('application/recordio')
    expect(out.headers.get('message-content-type')).toBe('application/json')
    const rec = (o: unknown) => { const t = JSON.stringify(o); return `${Buffer.byteLength(t)}\n${t}` }
    const idRecord = rec({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: session } })
    const input = (body: string) => fetch(`${agentUrl}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/recordio', 'Message-Content-Type': 'application/json', Accept: 'application/json' }, body })
    // The Python CLI first sends a request with only the CONTAINER_ID record; stdin must stay open after it.
    expect((await input(idRecord)).status).toBe(200)
    const data = (b: string) => rec({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'PROCESS_IO', process_io: { type: 'DATA', data: { type: 'STDIN', data: Buffer.from(b).toString('base64') } } } })
    expect((await input(idRecord + data('ping\n') + data(''))).status).toBe(200)
    const text = await out.text()
    const records: any[] = []
    for (let pos = 0; pos < text.length;) { const nl = text.indexOf('\n', pos); const len = Number(text.slice(pos, nl)); records.push(JSON.parse(text.slice(nl + 1, nl + 1 + len))); pos = nl + 1 + len }
    expect(records[0]).toMatchObject({ type: 'CONTROL', control: { type: 'HEARTBEAT' } })
    const stdout = records.filter(r => r.type === 'DATA' && r.data.type === 'STDOUT').map(r => Buffer.from(r.data.data, 'base64').toString()).join('')
    expect(stdout).toBe('ping\n')
    const wait = await fetch(`${agentUrl}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ type: 'WAIT_CONTAINER', wait_container: { container_id: session } }) })
    expect(((await wait.json()) as any).wait_container.exit_status).toBe(3 << 8) // a raw wait status
    // No switchboard on a plain task: input attach is refused with Mesos' exact message; unknown containers are 404.
    expect(await (await input(rec({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: parent } }))).text()).toBe('I/O switchboard server was disabled for this container')
    expect((await input(rec({ type: 'ATTACH_CONTAINER_INPUT', attach_container_input: { type: 'CONTAINER_ID', container_id: { value: 'nope' } } }))).status).toBe(404)
    const bad = await fetch(`${agentUrl}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/recordio' }, body: JSON.stringify({ type: 'GET_STATE' }) })
    expect(bad.status).toBe(406)
  })

  test('exec -i passes stdin through', async () => {
    const r = await meso(['task', 'exec', '-i', m(), 'target', '--', 'cat'], { stdin: 'hello\n' })
    expect(r.stdout).toBe('hello\n')
    expect(r.code).toBe(0)
  })

  test('two concurrent execs do not mix', async () => {
    const [a, b] = await Promise.all([
      meso(['task', 'exec', m(), 'target', '--', 'sh', '-c', 'for i in 1 2 3; do echo a$i; sleep 0.1; done']),
      meso(['task', 'exec', m(), 'target', '--', 'sh', '-c', 'for i in 1 2 3; do echo b$i; sleep 0.1; done']),
    ])
    expect(a.stdout).toBe('a1\na2\na3\n')
    expect(b.stdout).toBe('b1\nb2\nb3\n')
  })

  test('a killed client ends its session; the task keeps running', async () => {
    const marker = `sleep ${4000 + Math.floor(Math.random() * 1000)}`
    const cli = Bun.spawn([...MESO, 'task', 'exec', m(), 'target', '--', 'sh', '-c', marker], { stdout: 'ignore', stderr: 'ignore' })
    await waitFor('the session process', () => Bun.spawnSync(['pgrep', '-f', marker]).exitCode === 0, 15_000)
    cli.kill('SIGKILL')
    await waitFor('the session to be cleaned up', () => Bun.spawnSync(['pgrep', '-f', marker]).exitCode !== 0, 15_000)
    const list = JSON.parse((await meso(['task', 'list', m(), '--json'])).stdout)
    expect(list.find((t: any) => t.name === 'target').state).toBe('TASK_RUNNING')
  })

  test('exec -it in a real terminal: commands, window resize, Ctrl-C, exit code, terminal restored', async () => {
    const s = `meso-test-${process.pid}`
    const out = `${tempDir()}/out`
    const cmd = `${MESO.join(' ')} task exec -it ${m()} target -- sh; echo EXIT=$? > ${out}; stty -a >> ${out}; sleep 60`
    tmux('new-session', '-d', '-s', s, '-x', '100', '-y', '30', cmd)
    const keys = (...k: string[]) => tmux('send-keys', '-t', `=${s}:`, ...k)
    const pane = () => tmux('capture-pane', '-t', `=${s}:`, '-p').stdout.toString()
    try {
      await waitFor('a prompt', () => pane().includes('#'), 15_000)
      keys('stty size', 'Enter')
      await waitFor('the first size', () => pane().includes('30 100'))
      tmux('resize-window', '-t', `=${s}:`, '-x', '90', '-y', '25')
      await Bun.sleep(300)
      keys('stty size', 'Enter')
      await waitFor('the new size', () => pane().includes('25 90'))
      keys('sleep 100', 'Enter')
      await Bun.sleep(300)
      keys('C-c')
      await Bun.sleep(300)
      keys('exit 3', 'Enter')
      const result = await waitFor('the exit', async () => { const t = await Bun.file(out).text().catch(() => ''); return t.includes('EXIT=') && t })
      expect(result).toContain('EXIT=3')
      expect(result).toMatch(/ icanon /) // cooked mode again
      expect(result).toMatch(/ echo /)
    } finally {
      tmux('kill-session', '-t', `=${s}`)
    }
  })

  test('attach to a TTY task (run -it, detach with Ctrl-P Ctrl-Q, attach again) and to a plain task', async () => {
    let s = `meso-test-tty-${process.pid}`
    const pane = () => tmux('capture-pane', '-t', `=${s}:`, '-p').stdout.toString()
    const keys = (...k: string[]) => tmux('send-keys', '-t', `=${s}:`, ...k)
    tmux('new-session', '-d', '-s', s, '-x', '100', '-y', '30', `${MESO.join(' ')} task run -it --name console ${m()} -- sh; sleep 60`)
    try {
      await waitFor('a prompt', () => pane().includes('#'), 20_000)
      keys('echo one-$((20+3))', 'Enter')
      await waitFor('output', () => pane().includes('one-23'))
      keys('C-p', 'C-q')
      await waitFor('detached', () => pane().includes('detached from'))
      const first = s
      s = `${s}-again`
      tmux('new-session', '-d', '-s', s, '-x', '100', '-y', '30', `${MESO.join(' ')} task attach ${m()} console; sleep 60`)
      tmux('kill-session', '-t', `=${first}`)
      await Bun.sleep(1000)
      keys('echo two-$((40+2))', 'Enter')
      await waitFor('output after re-attach', () => pane().includes('two-42'), 10_000).catch(err => {
        throw new Error(`${(err as Error).message}; the pane: ${JSON.stringify(pane())}; sessions: ${tmux('ls').stdout.toString()} ${tmux('ls').stderr.toString()}`)
      })
      keys('exit 5', 'Enter')
      await waitFor('the task to end', async () => JSON.parse((await meso(['task', 'list', m(), '--all', '--json'])).stdout).find((t: any) => t.name === 'console')?.state === 'TASK_FAILED', 15_000)
    } finally {
      tmux('kill-session', '-t', `=${s}`)
    }
    // A plain task: attach shows its output from now on (and takes no input).
    const cli = Bun.spawn([...MESO, 'task', 'attach', m(), 'target'], { stdout: 'pipe', stderr: 'pipe' })
    let text = ''
    void (async () => { for await (const c of cli.stdout) text += new TextDecoder().decode(c) })()
    await Bun.sleep(1000)
    await meso(['task', 'exec', m(), 'target', '--', 'sh', '-c', 'echo from-exec >> /proc/1/fd/1'])
    const seen = await waitFor('attached output', () => text.includes('from-exec') && text, 10_000)
    cli.kill()
    expect(seen).toContain('from-exec')
  })

  test('run -t: what the task prints before the CLI attaches (it only can on TASK_RUNNING) is not lost', async () => {
    const runs = await Promise.all([1, 2, 3].map(i => meso(['task', 'run', '-t', m(), '--', 'sh', '-c', `echo early-${i}; exit ${i}`])))
    runs.forEach((r, i) => {
      expect(r.stdout.replace(/\r/g, '')).toBe(`early-${i + 1}\n`)
      expect(r.code).toBe(i + 1)
    })
  })

  test('logs -f follows a task until it ends; --tail and --stderr', async () => {
    const run = await meso(['task', 'run', m(), '--detach', '--name=ticker', '--', 'sh', '-c', 'for i in $(seq 1 15); do echo tick $i; sleep 0.1; done; echo oops >&2'])
    expect(run.code).toBe(0)
    const f = await meso(['task', 'logs', '-f', m(), 'ticker'], { timeoutMs: 20_000 })
    expect(f.code).toBe(0)
    expect(f.stdout.trim().split('\n')).toEqual(Array.from({ length: 15 }, (_, i) => `tick ${i + 1}`))
    expect((await meso(['task', 'logs', m(), '--tail', '2', 'ticker'])).stdout).toBe('tick 14\ntick 15\n')
    expect((await meso(['task', 'logs', m(), '--stderr', 'ticker'])).stdout).toBe('oops\n')
  })
})

suite('task groups', () => {
  test('LAUNCH_GROUP: tasks share the executor namespaces (network included); a failure kills the group', async () => {
    const dir = tempDir()
    const mst = await startMaster(`${dir}/master`, ['--allocation_interval=100ms'])
    const agt = await startAgent(mst.url, `${dir}/agent`, ['--launcher=linux', '--resources=cpus:2;mem:2048'])
    try {
      const s = new RawScheduler(mst.url)
      await s.subscribe(frameworkInfo('groups'))
      const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
      const res = (cpus: number) => [{ name: 'cpus', type: 'SCALAR', scalar: { value: cpus } }, { name: 'mem', type: 'SCALAR', scalar: { value: 64 } }]
      const port = 20000 + Math.floor(Math.random() * 10000)
      const shared = { type: 'MESOS', volumes: [{ mode: 'RW', container_path: 'shared', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'PARENT', path: '.' } } }] }
      const task = (id: string, cmd: string) => ({ name: id, task_id: { value: id }, agent_id: o.agent_id, resources: res(0.1), command: { value: cmd }, container: shared })
      const ns = 'for n in pid net ipc uts; do readlink /proc/self/ns/$n; done'
      await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH_GROUP', launch_group: {
        executor: { type: 'DEFAULT', executor_id: { value: 'group-exec' }, resources: res(0.1) },
        task_group: { tasks: [
          task('server', `${ns} > shared/server.ns; exec /usr/bin/python3 -m http.server ${port} --bind 127.0.0.1`),
          task('client', `${ns} > shared/client.ns; for i in $(seq 300); do /usr/bin/python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}/')" 2>/dev/null && echo reached && touch shared/reached && break; sleep 0.2; done; sleep 60`),
          // Fails once the client got through, which makes the default executor kill the others.
          task('crasher', 'while [ ! -e shared/reached ]; do sleep 0.1; done; exit 2'),
        ] },
      } }] } })
      for (const id of ['server', 'client', 'crasher']) await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === id && e.update.status.state === 'TASK_RUNNING')
      // The crasher fails; the default executor kills the rest of the group.
      const failed = await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'crasher' && e.update.status.state === 'TASK_FAILED', 90_000)
      expect(failed.update.status.message).toBe('Command exited with status 2')
      await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'server' && e.update.status.state === 'TASK_KILLED', 20_000)
      await s.next(e => e.type === 'UPDATE' && e.update.status.task_id.value === 'client' && e.update.status.state === 'TASK_KILLED', 20_000)
      // Each task had its own sandbox; the executor's sandbox was shared through a PARENT volume.
      const state = (await (await fetch(`${agt.url}/state`)).json()) as any
      const sandbox = [...state.frameworks, ...state.completed_frameworks].flatMap((f: any) => [...f.executors, ...f.completed_executors]).find((e: any) => e.id === 'group-exec').directory
      const read = (p: string) => fetch(`${agt.url}/files/read?path=${encodeURIComponent(`${sandbox}/${p}`)}&offset=0`).then(r => r.json()).then((j: any) => j.data)
      expect(await read('server.ns')).toBe(await read('client.ns'))
      expect((await read('server.ns')).split('\n').length).toBeGreaterThanOrEqual(4)
      expect(await read('tasks/client/stdout')).toContain('reached')
      await s.call('TEARDOWN')
      s.close()
    } finally {
      await agt.kill('SIGKILL')
      await mst.kill('SIGKILL')
    }
  })
})

// Tasks from container images, against real `docker-registry` processes on loopback: anonymous, htpasswd Basic and
// Bearer-token (a JWT token server in this process) registries sharing one storage directory. The images are built
// here from busybox-static and pushed with the registry's upload API. Covers pulls with right and wrong credentials,
// registries and token servers that are down, corrupted blobs, whiteouts with the overlay and copy backends, image
// config (Entrypoint/Cmd/Env/WorkingDir), and the `meso image` commands.

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { linuxLauncherUnavailable } from '../../src/agent/containerizer/linux-launcher.ts'
import { busyboxRootfs, buildImage, buildIndex, imageFromLayers, layerFromTar, pushImage, putManifest, tarDirectory, writeDockerArchive, writeOciArchive, writeTree, type BuiltImage } from '../helpers/image-fixtures.ts'
import { meso, startAgent, startMaster, tempDir, type Daemon } from '../helpers/processes.ts'
import { commandTask, frameworkInfo, RawScheduler } from '../helpers/raw-scheduler.ts'
import { freePort, registryUnavailable, startRegistry, startTokenServer, writeHtpasswd, type RegistryProcess, type TokenServer } from '../helpers/registries.ts'

const problem = linuxLauncherUnavailable({}) ?? registryUnavailable() ?? (Bun.which('busybox') ? undefined : 'busybox-static is not installed')
if (problem) console.warn(`\n*** SKIPPING container image e2e tests: ${problem} ***\n`)
const suite = problem ? describe.skip : describe

const USER = 'meso', PASS = 's3cret'
const daemons: Daemon[] = []
const registries: RegistryProcess[] = []
let tokens: TokenServer | undefined
afterAll(async () => {
  for (const d of daemons) await d.kill('SIGKILL').catch(() => {})
  for (const r of registries) await r.stop().catch(() => {})
  tokens?.stop()
})

/** The blob file distribution keeps for a digest. */
const blobPath = (storage: string, digest: string) => join(storage, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data')

function corrupt(path: string) {
  const b = readFileSync(path)
  b[Math.floor(b.length / 2)]! ^= 0xff
  writeFileSync(path, b)
}

const dockerConfigSecret = (host: string, user: string, pass: string) => ({
  type: 'VALUE', value: { data: Buffer.from(JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } })).toString('base64') },
})

suite('tasks from container images in private registries', () => {
  let dir: string
  let storage: string
  let anon: RegistryProcess, basic: RegistryProcess, bearer: RegistryProcess
  let master: Daemon, agent: Daemon
  let agentFlags: string[]
  let busybox: BuiltImage
  const corrupted: Record<string, BuiltImage> = {}
  let store: string

  beforeAll(async () => {
    dir = tempDir('meso-images-')
    storage = join(dir, 'storage')
    const base = busyboxRootfs(join(dir, 'rootfs'))
    busybox = buildImage([base], { config: { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'FROM_IMAGE=yes'] } })
    anon = await startRegistry(join(dir, 'anon'), storage)
    writeHtpasswd(join(dir, 'htpasswd'), { [USER]: PASS })
    basic = await startRegistry(join(dir, 'basic'), storage, { kind: 'htpasswd', path: join(dir, 'htpasswd') })
    tokens = startTokenServer(join(dir, 'tokens'), { [USER]: PASS })
    bearer = await startRegistry(join(dir, 'bearer'), storage, { kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootcertbundle: tokens.certPath })
    registries.push(anon, basic, bearer)
    await pushImage(anon.url, 'meso/busybox', '1', busybox)
    await pushImage(anon.url, 'busybox', '1', busybox)
    // One image per registry with a layer of its own, corrupted in storage after the push.
    for (const kind of ['anon', 'basic', 'bearer']) {
      const extra = layerFromTar(tarDirectory(writeTree(join(dir, `extra-${kind}`), { [`etc/${kind}-${crypto.randomUUID()}`]: 'x'.repeat(100_000) })))
      corrupted[kind] = imageFromLayers([busybox.layers[0]!, extra])
      await pushImage(anon.url, `meso/corrupt-${kind}`, '1', corrupted[kind]!)
      corrupt(blobPath(storage, extra.digest))
    }
    const insecure = [anon.host, basic.host, bearer.host, `localhost:${anon.port}`].join(',')
    master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
    agentFlags = ['--launcher=linux', '--resources=cpus:4;mem:4096', `--docker_registry_insecure=${insecure}`, '--registration_backoff_factor=100ms']
    agent = await startAgent(master.url, join(dir, 'agent'), agentFlags)
    daemons.push(master, agent)
    store = join(dir, 'agent', 'store', 'docker')
  }, 120_000)

  const run = (args: string[], cmd: string[] = [], stdin?: string) =>
    meso(['task', 'run', `--master=${master.url}`, '--mem=64', ...args, ...(cmd.length ? ['--', ...cmd] : [])], { stdin, timeoutMs: 120_000 })
  const storeIndex = () => (existsSync(join(store, 'images.json')) ? Object.keys(JSON.parse(readFileSync(join(store, 'images.json'), 'utf8')).images) : [])
  const hasLayer = (digest: string) => existsSync(join(store, 'layers', digest.slice(7)))
  const tmpLeft = () => (existsSync(join(store, 'tmp')) ? readdirSync(join(store, 'tmp')) : [])

  test("meso task run --image localhost:PORT/busybox:1 -- sh -c 'cat /etc/os-release || echo ok' exits 0", async () => {
    const r = await run(['--image', `localhost:${anon.port}/busybox:1`], ['sh', '-c', 'cat /etc/os-release || echo ok'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('meso test busybox')
  })

  test('anonymous registry: pull and run; the image config (Env) applies, the sandbox is at /mnt/mesos/sandbox', async () => {
    const r = await run(['--image', `${anon.host}/meso/busybox:1`], ['sh', '-c', 'echo $FROM_IMAGE; pwd; ls /bin/busybox; test -w /etc && echo rw'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual(['yes', '/mnt/mesos/sandbox', '/bin/busybox', 'rw'])
  })

  test('anonymous registry: a missing repository fails the task naming the registry and 404; nothing stored', async () => {
    const before = storeIndex()
    const r = await run(['--image', `${anon.host}/meso/nothing:1`], ['true'])
    expect(r.code).toBe(125)
    expect(r.stderr).toContain('TASK_FAILED')
    expect(r.stderr).toContain(`registry ${anon.host} answered 404 Not Found`)
    expect(storeIndex()).toEqual(before)
    expect(tmpLeft()).toEqual([])
  })

  for (const kind of ['basic', 'bearer'] as const) {
    const reg = () => (kind === 'basic' ? basic : bearer)

    test(`${kind} auth: wrong credentials → TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED, message naming the registry and 401; nothing stored`, async () => {
      const ref = `${reg().host}/meso/busybox:1`
      const before = storeIndex()
      const s = new RawScheduler(master.url)
      await s.subscribe(frameworkInfo(`wrong-${kind}`))
      const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
      const task = { ...commandTask('t', o.agent_id.value, 'true'), container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: ref, config: dockerConfigSecret(reg().host, USER, 'wrong') } } } } }
      await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }] } })
      const f = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_FAILED', 60_000)
      expect(f.update.status.reason).toBe('REASON_CONTAINER_LAUNCH_FAILED')
      expect(f.update.status.message).toContain(reg().host)
      expect(f.update.status.message).toContain('401 Unauthorized')
      expect(f.update.status.message).not.toContain('wrong')
      await s.call('TEARDOWN')
      s.close()
      expect(storeIndex()).toEqual(before)
      expect(storeIndex()).not.toContain(ref)
      expect(tmpLeft()).toEqual([])
      expect(agent.log()).not.toContain(Buffer.from(`${USER}:wrong`).toString('base64'))
    })

    test(`${kind} auth: no credentials → the task fails with 401 from ${kind === 'basic' ? 'the registry' : 'the registry (token without access)'}`, async () => {
      const r = await run(['--image', `${reg().host}/meso/busybox:1`], ['true'])
      expect(r.code).toBe(125)
      expect(r.stderr).toContain(`registry ${reg().host} answered 401 Unauthorized`)
    })

    test(`${kind} auth: right credentials (meso task run --registry-user --registry-password-stdin) pull and run`, async () => {
      const r = await run(['--image', `${reg().host}/meso/busybox:1`, '--registry-user', USER, '--registry-password-stdin'], ['cat', '/etc/os-release'], `${PASS}\n`)
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('meso test busybox')
      expect(storeIndex()).toContain(`${reg().host}/meso/busybox:1`)
      expect(agent.log()).not.toContain(PASS)
    })
  }

  test('bearer auth: the deprecated Image.Docker.credential works too, and the token server saw the user', async () => {
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('legacy-credential'))
    const o = (await s.next(e => e.type === 'OFFERS')).offers.offers[0]
    const image = { type: 'DOCKER', cached: false, docker: { name: `${bearer.host}/meso/busybox:1`, credential: { principal: USER, secret: PASS } } }
    await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [{ ...commandTask('t', o.agent_id.value, 'true'), container: { type: 'MESOS', mesos: { image } } }] } }] } })
    const f = await s.next(e => e.type === 'UPDATE' && ['TASK_FINISHED', 'TASK_FAILED'].includes(e.update.status.state), 60_000)
    expect(f.update.status.state).toBe('TASK_FINISHED')
    await s.call('TEARDOWN')
    s.close()
    expect(tokens!.requests).toContain(`${USER} repository:meso/busybox:pull`)
  })

  for (const kind of ['anon', 'basic', 'bearer'] as const) {
    test(`${kind}: a corrupted blob fails the task with a digest mismatch naming the registry; the layer is not cached`, async () => {
      const reg = { anon, basic, bearer }[kind]
      const bad = corrupted[kind]!.layers[1]!
      const creds = kind === 'anon' ? [] : ['--registry-user', USER, '--registry-password-stdin']
      const r = await run(['--image', `${reg.host}/meso/corrupt-${kind}:1`, ...creds], ['true'], kind === 'anon' ? undefined : PASS)
      expect(r.code).toBe(125)
      expect(r.stderr).toContain('digest mismatch')
      expect(r.stderr).toContain(`registry ${reg.host}`)
      expect(r.stderr).toContain(bad.digest)
      expect(hasLayer(bad.digest)).toBe(false)
      expect(storeIndex()).not.toContain(`${reg.host}/meso/corrupt-${kind}:1`)
      expect(tmpLeft()).toEqual([])
    })
  }

  test('a registry that is down, and a token server that is down, give clear errors', async () => {
    const down = `127.0.0.1:${await freePort()}`
    // The agent only speaks plain HTTP to listed registries: this one is not, so it tries HTTPS and says so.
    const r1 = await run(['--image', `${down}/meso/busybox:1`], ['true'])
    expect(r1.code).toBe(125)
    expect(r1.stderr).toContain(`cannot reach registry ${down}`)
    expect(r1.stderr).toContain('connection refused')
    expect(r1.stderr).toContain(`https://${down}`)
    // A Bearer registry whose token realm nobody serves.
    const deadRealm = `http://127.0.0.1:${await freePort()}/token`
    const orphan = await startRegistry(join(dir, 'orphan'), storage, { kind: 'token', realm: deadRealm, service: tokens!.service, issuer: tokens!.issuer, rootcertbundle: tokens!.certPath })
    registries.push(orphan)
    const a2 = await startAgent(master.url, join(dir, 'agent2'), ['--launcher=linux', '--resources=cpus:1;mem:512', `--docker_registry_insecure=${orphan.host}`, '--attributes=which:agent2'])
    daemons.push(a2)
    const s = new RawScheduler(master.url)
    await s.subscribe(frameworkInfo('token-down'))
    const o = await s.next(e => e.type === 'OFFERS' && e.offers.offers.some((x: any) => x.attributes?.some((at: any) => at.name === 'which')))
    const offer = o.offers.offers.find((x: any) => x.attributes?.some((at: any) => at.name === 'which'))
    const task = { ...commandTask('t', offer.agent_id.value, 'true'), container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: `${orphan.host}/meso/busybox:1` } } } } }
    await s.call('ACCEPT', { accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: [task] } }] } })
    const f = await s.next(e => e.type === 'UPDATE' && e.update.status.state === 'TASK_FAILED', 60_000)
    expect(f.update.status.reason).toBe('REASON_CONTAINER_LAUNCH_FAILED')
    expect(f.update.status.message).toContain(`cannot reach token server ${deadRealm}`)
    expect(f.update.status.message).toContain(`registry ${orphan.host}`)
    expect(f.update.status.message).toContain('connection refused')
    await s.call('TEARDOWN')
    s.close()
    await a2.kill('SIGKILL')
  }, 120_000)

  test('image config: no command runs Entrypoint + Cmd in WorkingDir as the image says', async () => {
    const img = imageFromLayers(busybox.layers, { config: { Entrypoint: ['/bin/sh', '-c', 'echo "$0 $1 in $(pwd) $GREETING"'], Cmd: ['hello', 'world'], WorkingDir: '/etc', Env: ['PATH=/bin', 'GREETING=hi'] } })
    await pushImage(anon.url, 'meso/entry', '1', img)
    const r = await run(['--image', `${anon.host}/meso/entry:1`])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe('hello world in /etc hi')
  })

  test('a manifest list and an OCI manifest resolve to this platform', async () => {
    const oci = imageFromLayers(busybox.layers, { format: 'oci', config: { Env: ['PATH=/bin', 'KIND=oci'] } })
    await pushImage(anon.url, 'meso/multi', 'oci', oci)
    const arm = imageFromLayers(busybox.layers, { config: { Env: ['PATH=/bin', 'KIND=arm'] } })
    await pushImage(anon.url, 'meso/multi', 'arm', arm)
    const index = buildIndex([{ image: arm, architecture: 'arm64' }, { image: oci, architecture: 'amd64' }], true)
    await putManifest(anon.url, 'meso/multi', 'index', index.body, index.mediaType)
    const r = await run(['--image', `${anon.host}/meso/multi:index`], ['sh', '-c', 'echo $KIND'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe('oci')
  })

  test('a running image task survives kill -9 of the agent; its image cannot be removed meanwhile; its rootfs goes when it ends', async () => {
    const ref = `${anon.host}/meso/busybox:1`
    const d = await run(['--detach', '--name', 'imgsleep', '--image', ref], ['sleep', '300'])
    expect(d.code).toBe(0)
    const containersDir = join(dir, 'agent', 'provisioner', 'containers')
    const [cid] = readdirSync(containersDir)
    const rootfs = join(containersDir, cid!, 'rootfs')
    const mountedNow = () => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${rootfs} `)
    expect(mountedNow()).toBe(true)
    const inUse = await meso(['image', 'rm', `--master=${master.url}`, ref])
    expect(inUse.code).toBe(1)
    expect(inUse.stderr).toContain(`image ${ref} is used by 1 running container(s)`)
    await agent.kill('SIGKILL')
    agent = await startAgent(master.url, join(dir, 'agent'), agentFlags)
    daemons.push(agent)
    expect(mountedNow()).toBe(true)
    expect((await meso(['image', 'rm', `--master=${master.url}`, ref])).stderr).toContain('used by 1 running container')
    expect((await meso(['task', 'kill', `--master=${master.url}`, 'imgsleep'], { timeoutMs: 60_000 })).code).toBe(0)
    for (let i = 0; i < 100 && (mountedNow() || existsSync(join(containersDir, cid!))); i++) await Bun.sleep(100)
    expect(mountedNow()).toBe(false)
    expect(existsSync(join(containersDir, cid!))).toBe(false)
  }, 120_000)

  test('meso image pull (plain progress), list --json, rm, gc; PRUNE_IMAGES', async () => {
    const ref = `${basic.host}/meso/busybox:1`
    const pulled = await meso(['image', 'pull', `--master=${master.url}`, '--registry-user', USER, '--registry-password-stdin', ref], { stdin: PASS })
    expect(pulled.code).toBe(0)
    expect(pulled.stdout.trim()).toBe(`${ref}@${busybox.manifestDigest}`)
    expect(pulled.stderr).toContain(`${ref}: ${busybox.manifestDigest} (1 layers)`)
    expect(pulled.stderr).toMatch(/[0-9a-f]{12}: (cached|done)/)
    const bad = await meso(['image', 'pull', `--master=${master.url}`, `${basic.host}/meso/busybox:1`])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('401 Unauthorized')
    const list = JSON.parse((await meso(['image', 'list', `--master=${master.url}`, '--json'])).stdout) as any[]
    expect(list.map(i => i.reference)).toContain(ref)
    expect(list.find(i => i.reference === ref)).toMatchObject({ digest: busybox.manifestDigest, layers: 1, containers: 0 })
    const rm = await meso(['image', 'rm', `--master=${master.url}`, ref])
    expect(rm.code).toBe(0)
    const again = await meso(['image', 'rm', `--master=${master.url}`, ref])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('no agent has image')
    const gc = await meso(['image', 'gc', `--master=${master.url}`, '--json'])
    expect(gc.code).toBe(0)
    // PRUNE_IMAGES keeps excluded images and removes the rest no container uses.
    const keep = `${anon.host}/meso/busybox:1`
    const res = await fetch(`${agent.url}/api/v1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'PRUNE_IMAGES', prune_images: { excluded_images: [{ type: 'DOCKER', docker: { name: keep } }] } }) })
    expect(res.status).toBe(200)
    expect(storeIndex()).toEqual([keep])
    expect(readdirSync(join(store, 'layers')).length).toBe(1)
  })

  test('meso image load: docker-archive and OCI layout tarballs, then tasks run from them without a registry', async () => {
    const img = imageFromLayers(busybox.layers, { config: { Env: ['PATH=/bin', 'LOADED=docker-archive'] } })
    writeDockerArchive(join(dir, 'docker.tar'), img, ['offline.example.com/team/tool:1'])
    const d = await meso(['image', 'load', `--master=${master.url}`, join(dir, 'docker.tar')])
    expect(d.stderr).toContain('loaded offline.example.com/team/tool:1')
    expect(d.code).toBe(0)
    const oci = imageFromLayers(busybox.layers, { format: 'oci', config: { Env: ['PATH=/bin', 'LOADED=oci'] } })
    writeOciArchive(join(dir, 'oci.tar'), oci, '2')
    const unnamed = await meso(['image', 'load', `--master=${master.url}`, join(dir, 'oci.tar')])
    expect(unnamed.code).toBe(1)
    expect(unnamed.stderr).toContain("only the tag '2'")
    const o = await meso(['image', 'load', `--master=${master.url}`, '--name', 'offline.example.com/team/tool:2', join(dir, 'oci.tar')])
    expect(o.code).toBe(0)
    for (const [tag, want] of [['1', 'docker-archive'], ['2', 'oci']] as const) {
      const r = await run(['--image', `offline.example.com/team/tool:${tag}`], ['sh', '-c', 'echo $LOADED'])
      expect(r.code).toBe(0)
      expect(r.stdout.trim()).toBe(want)
    }
  })
})

suite('whiteouts: the same rootfs with the overlay and copy backends', () => {
  test('.wh.NAME deletes, .wh..wh..opq hides lower contents, same-layer files stay', async () => {
    const dir = tempDir('meso-whiteouts-')
    const storage = join(dir, 'storage')
    const base = busyboxRootfs(join(dir, 'rootfs'))
    writeTree(base, { 'etc/meso/a': 'a', 'etc/meso/sub/deep': 'd', 'var/lib/gone/file': 'g', 'opt/keep': 'k', 'opt/remove-me': 'r' })
    const l2 = writeTree(join(dir, 'l2'), { 'bin/.wh.vi': '', 'var/lib/.wh.gone': '', 'etc/meso/.wh..wh..opq': '', 'etc/meso/b': 'b', 'opt/.wh.remove-me': '' })
    const l3 = writeTree(join(dir, 'l3'), { 'opt/new': 'n', 'etc/meso/c': 'c' })
    const img = buildImage([base, l2, l3])
    const reg = await startRegistry(join(dir, 'reg'), storage)
    registries.push(reg)
    await pushImage(reg.url, 'meso/whiteouts', '1', img)
    const master = await startMaster(join(dir, 'master'), ['--allocation_interval=100ms'])
    daemons.push(master)
    const script = 'ls /etc/meso; ls /opt; test -e /bin/vi && echo vi-present; test -e /var/lib/gone && echo gone-present; ls /bin/ls; echo done'
    const outputs: Record<string, string> = {}
    for (const backend of ['overlay', 'copy']) {
      const agent = await startAgent(master.url, join(dir, `agent-${backend}`), ['--launcher=linux', '--resources=cpus:1;mem:512', `--docker_registry_insecure=${reg.host}`, `--image_provisioner_backend=${backend}`])
      daemons.push(agent)
      const r = await meso(['task', 'run', `--master=${master.url}`, '--image', `${reg.host}/meso/whiteouts:1`, '--', 'sh', '-c', script], { timeoutMs: 120_000 })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      outputs[backend] = r.stdout
      // The root filesystem goes with the container (unmounted, removed) before the agent is stopped.
      const containers = join(dir, `agent-${backend}`, 'provisioner', 'containers')
      for (let i = 0; i < 100 && readdirSync(containers).length; i++) await Bun.sleep(50)
      expect(readdirSync(containers)).toEqual([])
      await agent.kill('SIGKILL')
    }
    expect(outputs.overlay!.trim().split('\n')).toEqual(['b', 'c', 'keep', 'new', '/bin/ls', 'done'])
    expect(outputs.copy).toBe(outputs.overlay!)
  }, 180_000)
})

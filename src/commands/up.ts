import { Command, Flags } from '@oclif/core'
import { join } from 'node:path'
import { AGENT_FLAGS } from '../agent/flags.ts'
import type { FlagSpec } from '../core/flags.ts'
import { MASTER_FLAGS, type MasterFlags } from '../master/flags.ts'
import { defaultOf, fail, runUntilSignal } from './daemon.ts'
import { mesoStateDir } from '../core/state-dir.ts'

export default class Up extends Command {
  static description = 'start a one-machine cluster: a master and an agent in one process'
  static examples = ['$ meso up', "$ meso up --port 5050 --resources 'cpus:2;mem:4096'"]
  static flags = {
    work_dir: Flags.string({ description: 'state directory (default ~/.meso, or /var/lib/meso as root)', env: 'MESO_WORK_DIR' }),
    ip: Flags.string({ description: 'address to listen on', default: '127.0.0.1' }),
    port: Flags.integer({ description: 'master port (the agent takes the next free port)', default: defaultOf(MASTER_FLAGS, 'port') }),
    resources: Flags.string({ description: 'agent resources (default: auto-detected)' }),
    attributes: Flags.string({ description: 'agent attributes, e.g. rack:r1' }),
    launcher: Flags.string({ description: "'linux' or 'posix' (default: linux when crun is installed)", options: ['linux', 'posix'] }),
    isolation: Flags.string({ description: 'agent isolators (Mesos --isolation syntax)' }),
    registry: Flags.string({ description: "'replicated_log' (persisted) or 'in_memory'", default: defaultOf(MASTER_FLAGS, 'registry'), options: ['replicated_log', 'in_memory'] }),
    'agent-flag': Flags.string({ description: 'any other agent flag, NAME=VALUE (repeatable), e.g. docker_registry_insecure=localhost:5000', multiple: true }),
    tls: Flags.boolean({ description: 'serve TLS only, with a dev CA and certificates made in <work_dir>/tls' }),
    'master-flag': Flags.string({ description: 'any other master flag, NAME=VALUE (repeatable), e.g. offer_timeout=30secs', multiple: true }),
  }

  async run() {
    const { flags } = await this.parse(Up)
    const { resolveFlags, flagStrings } = await import('../core/flags.ts')
    const base = flags.work_dir ?? mesoStateDir()
    const extra = (list: string[] | undefined, specs: readonly FlagSpec[], which: 'master' | 'agent') => {
      const out: Record<string, string> = {}
      for (const kv of list ?? []) {
        const i = kv.indexOf('=')
        const name = (i > 0 ? kv.slice(0, i) : kv).replace(/^--/, '')
        if (!specs.some(s => s.name === name)) this.error(`--${which}-flag: unknown ${which} flag '${name}' (see meso ${which} --help)`, { exit: 2 })
        out[name] = i > 0 ? kv.slice(i + 1) : 'true'
      }
      return out
    }
    const masterExtra = extra(flags['master-flag'], MASTER_FLAGS, 'master')
    const agentExtra = extra(flags['agent-flag'], AGENT_FLAGS, 'agent')
    // Credentials, the executor-token key and the authentication defaults (up-auth.ts, docs/security-auth.md).
    const upDns = await import('./up-dns.ts')
    let auth: import('./up-auth.ts').UpAuth
    try { auth = (await import('./up-auth.ts')).upAuth(base, flags.ip) } catch (err) { fail(err) }
    let masterValues: MasterFlags
    try {
      masterValues = resolveFlags(MASTER_FLAGS, { ...upDns.upDnsDefaults(flags.port), ...auth.master, services: true, ...masterExtra, ip: flags.ip, port: flags.port, work_dir: join(base, 'master'), registry: flags.registry })
    } catch (err) { this.error((err as Error).message, { exit: 2 }) }
    // DNS (up-dns.ts, docs/discovery.md): on every address on port 53 when containers on the CNI network will need it.
    masterValues = upDns.withContainerDns(masterValues, masterExtra, await upDns.cniNetworkLikely(flags.launcher))
    const freeDns = await upDns.withFreeDnsPort(masterValues, masterExtra)
    masterValues = freeDns.values
    let tlsNotes: string[] = []
    try { if (flags.tls) tlsNotes = (await import('./up-tls.ts')).enableDevTls(base, flags.ip) } catch (err) { fail(err) }
    const { startMaster } = await import('../master/server.ts')
    const { startAgent } = await import('../agent/server.ts')
    let master, agent, network
    let dnsNotes: string[] = []
    try {
      master = await startMaster(masterValues, flagStrings(MASTER_FLAGS, masterValues))
      const agentPort = await freePort(flags.ip, master.server.port! + 1)
      // The `meso` CNI network (bridge, own subnet, portmap) unless the work dir's CNI config already has one.
      const { upNetworkFlags } = await import('../agent/isolators/network/cni/default-network.ts')
      const { linuxLauncherUnavailable } = await import('../agent/containerizer/linux-launcher.ts')
      network = upNetworkFlags(base, { launcher: flags.launcher, isolation: flags.isolation, linuxUnavailable: linuxLauncherUnavailable({}) })
      dnsNotes = [...(freeDns.note ? [freeDns.note] : []), ...await upDns.upDnsNotes(master.dns, network?.flags.network_cni_config_dir)]
      const agentValues = resolveFlags(AGENT_FLAGS, {
        ...network?.flags,
        ...auth.agent,
        ...agentExtra,
        master: `${flags.ip === '0.0.0.0' ? '127.0.0.1' : flags.ip}:${master.server.port}`, ip: flags.ip, port: agentPort,
        work_dir: join(base, 'agent'), resources: flags.resources, attributes: flags.attributes, launcher: flags.launcher,
        isolation: network?.flags.isolation ?? agentExtra.isolation ?? flags.isolation,
      })
      agent = await startAgent(agentValues, flagStrings(AGENT_FLAGS, agentValues))
    } catch (err) {
      await master?.stop()
      fail(err)
    }
    const unregisterCli = auth.registerCli(master.url, agent.url)
    this.log(`meso is up: master ${master.url} (scheduler API ${master.url}/api/v1/scheduler, operator API ${master.url}/api/v1), agent ${agent.url}`)
    const uiSignIn = masterValues.authenticate_http_readwrite || masterValues.authenticate_http_readonly
    this.log(`web UI: ${master.url}/${uiSignIn ? ` (sign in as ${(await import('./up-auth.ts')).UP_OPERATOR}; the secret is in ${join(base, 'secrets', 'credentials.json')})` : ''}`)
    for (const line of auth.notes) this.log(line)
    for (const line of tlsNotes) this.log(line)
    for (const line of dnsNotes) this.log(line)
    if (network) this.log(`${network.note}; join it with: meso task run --network meso -- …`)
    this.log(`state in ${base}; try: meso task run -- echo hello   (Ctrl-C stops the cluster; tasks keep running and are re-adopted on the next start)`)
    await runUntilSignal(async () => { await agent.stop(); await master.stop(); unregisterCli() })
  }
}

async function freePort(host: string, from: number): Promise<number> {
  for (let p = from; p < from + 100; p++) {
    try {
      const s = Bun.listen({ hostname: host, port: p, socket: { data() {} } })
      s.stop(true)
      return p
    } catch { /* taken */ }
  }
  return 0
}

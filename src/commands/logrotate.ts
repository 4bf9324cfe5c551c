import { Args, Command } from '@oclif/core'

// `meso __logrotate SOCKET`: the agent's log rotator (src/agent/io/logrotate-daemon.ts), which the agent starts itself
// (src/agent/io/logrotate-client.ts); hidden, nobody types it. It ignores the signals of a terminal and of a stopping
// service so that it keeps rotating (and the tasks keep their stdout) while the agent is down, and exits once it
// has no stream left and no agent connected.
export default class LogrotateDaemon extends Command {
  static hidden = true
  static description = "the agent's sandbox log rotator (started by the agent)"
  static args = { socket: Args.string({ description: 'unix socket to listen on', required: true }) }

  async run() {
    const { args } = await this.parse(LogrotateDaemon)
    for (const sig of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) process.on(sig, () => {})
    const { LogRotator } = await import('../agent/io/logrotate-daemon.ts')
    const stamp = () => new Date().toISOString()
    const rotator = new LogRotator({
      socket: args.socket,
      log: line => process.stderr.write(`${stamp()} ${line}\n`),
      onIdle: () => process.exit(0),
    })
    if (await rotator.start() === 'already-running') return
    process.stderr.write(`${stamp()} log rotator ${process.pid} listening on ${args.socket}\n`)
    await new Promise(() => {})
  }
}

import { Flags } from '@oclif/core'
import { MUST_BE } from '../../cli/task-run-values.ts'
import { ClientCommand, caCertFlag, masterFlag, numberFlag, registryPasswordStdinFlag, registryUserFlag } from '../base.ts'

export default class TaskRun extends ClientCommand {
  static description = 'run a command as a task on the cluster, stream its output, and exit with its exit code'
  static strict = false
  static usage = 'task run [FLAGS] -- CMD [ARGS...]'
  static examples = [
    "$ meso task run -- sh -c 'echo hi; exit 3'",
    '$ meso task run --cpus 0.5 --mem 128 --env GREETING=hello -- printenv GREETING',
    '$ meso task run --detach --name sleeper -- sleep 600',
    "$ meso task run --image busybox:1.36 -- sh -c 'cat /etc/os-release'",
    '$ meso task run --detach --network meso -p 31080:8080 -- python3 -m http.server 8080',
    '$ meso task run --secret-env DB_PASSWORD=team/db/password --secret-file db.pass=team/db/password -- ./serve',
    '$ meso task run --uri https://example.com/tool.tar.gz --uri https://example.com/run.sh,executable=true -- ./run.sh',
    '$ meso task run --detach --name web --vip web:80:8080 -- python3 -m http.server 8080',
    "$ meso task run --detach --health-cmd 'test -f ready' --health-interval 5s --health-retries 3 -- ./serve",
  ]
  static flags = {
    master: masterFlag,
    'ca-cert': caCertFlag,
    name: Flags.string({ description: 'task name (default: the command name)' }),
    cpus: numberFlag(MUST_BE.cpus)({ description: 'CPUs for the task', default: 0.1 }),
    mem: numberFlag(MUST_BE.mem)({ description: 'memory in MB', default: 32 }),
    disk: numberFlag(MUST_BE.disk)({ description: 'disk in MB' }),
    gpus: numberFlag(MUST_BE.gpus)({ description: 'whole GPUs for the task; also lets it run on GPU agents (--gpus 0: on a GPU agent, without a GPU)' }),
    env: Flags.string({ description: 'environment variable K=V, or K to pass your own K (repeatable)', multiple: true, helpValue: 'K=V' }),
    'secret-env': Flags.string({ description: "environment variable from the master's secret store, NAME=SECRET_PATH (repeatable; `meso secret create`)", multiple: true, helpValue: 'NAME=PATH' }),
    uri: Flags.string({ description: 'fetch this URL (http, https, file:// or an absolute path on the agent) into the sandbox before the command runs; archives (.tar.gz, .zip, …) are unpacked; options after commas: extract=false, executable=true, cache=true, output_file=NAME (repeatable)', multiple: true, helpValue: 'URL[,OPTION=VALUE]' }),
    'secret-file': Flags.string({ description: "file (mode 0400) holding a secret from the store, CONTAINER_PATH=SECRET_PATH; a relative path is in the sandbox (repeatable)", multiple: true, helpValue: 'FILE=PATH' }),
    role: Flags.string({ description: 'role to take resources from', default: '*' }),
    user: Flags.string({ description: 'user to run as (default: you)' }),
    rlimit: Flags.string({ description: 'resource limit NAME=SOFT[:HARD] (repeatable), e.g. NOFILE=1024:4096, CORE=0, STACK=unlimited', multiple: true }),
    interactive: Flags.boolean({ char: 'i', description: 'with -t: send your input to the task' }),
    tty: Flags.boolean({ char: 't', description: 'give the task a terminal and attach to it (Ctrl-P Ctrl-Q detaches)' }),
    detach: Flags.boolean({ char: 'd', description: 'print the task id and return once it started' }),
    image: Flags.string({ description: 'run in this Docker/OCI image ([REGISTRY[:PORT]/]REPO[:TAG|@DIGEST]); without a command, its Entrypoint/Cmd run', helpValue: 'REF' }),
    'registry-user': registryUserFlag,
    'registry-password-stdin': registryPasswordStdinFlag,
    timeout: Flags.integer({ description: 'seconds to wait for resources in use (a task no agent can ever fit fails at once)', default: 60 }),
    network: Flags.string({ description: 'CNI network to join (its own IP; `meso network list` shows them); default: the agent\'s network' }),
    publish: Flags.string({ char: 'p', description: 'with --network: map HOSTPORT:CONTAINERPORT[/udp] (repeatable); the host ports are requested as ports resources, so they must be in the agents\' ports (default 31000-32000)', multiple: true, helpValue: 'HOSTPORT:CONTAINERPORT' }),
    // Two flags, not one with allowNo: absent must stay distinct from --no-init (the agent's default applies).
    init: Flags.boolean({ description: 'run an init as PID 1 that forwards signals and reaps zombies (the default where the agent has one: linux launcher); fails on an agent without one' }),
    'no-init': Flags.boolean({ description: 'no init: the command itself is PID 1 of its container (ignores SIGTERM unless it handles it)' }),
    // Podman's health check flags, mapped onto a Mesos COMMAND health check (docs/health-checks.md).
    'health-cmd': Flags.string({ description: "shell command run inside the task's container to check its health (exit 0: healthy); `meso task list` shows HEALTH", helpValue: 'CMD' }),
    'health-interval': Flags.string({ description: 'with --health-cmd: time between checks, also before the first (default 30s)', helpValue: 'DURATION' }),
    'health-retries': Flags.integer({ description: 'with --health-cmd: failed checks in a row that kill the task (default 3)', helpValue: 'N' }),
    'health-timeout': Flags.string({ description: 'with --health-cmd: time a check may run before it counts as failed (default 30s)', helpValue: 'DURATION' }),
    vip: Flags.string({ description: 'serve behind a VIP: NAME:PORT (named, resolves as NAME.vip.mesos) or IP:PORT, then :TASKPORT where the task listens if not PORT, /udp for UDP (repeatable; docs/discovery.md)', multiple: true, helpValue: 'NAME:PORT[:TASKPORT]' }),
    'health-start-period': Flags.string({ description: 'with --health-cmd: failures in this time after the start do not count until a check passed (default 0s)', helpValue: 'DURATION' }),
  }

  async run() {
    await this.handle(() => import('../../cli/handlers/task-run.ts'), await this.parse(TaskRun))
  }
}

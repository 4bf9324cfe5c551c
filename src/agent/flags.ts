// Agent flags, with the names and defaults of Mesos' src/slave/flags.cpp; the agent reads them as AgentFlags.

import type { FlagSpec, TypedFlags } from '../core/flags.ts'
import { AGENT_BODY_LIMITS, bodyLimitsError, idleTimeoutError, positiveLimitError } from '../core/http/server-limits.ts'
import { logrotateMaxFilesError, logrotateMaxSizeError } from './io/logrotate-policy.ts'

const oneOf = (...vals: string[]) => (v: unknown) => (vals.includes(String(v)) ? undefined : `must be one of ${vals.join(', ')}`)

export const AGENT_FLAGS = [
  { name: 'master', type: 'string', description: 'master address: host:port or http://host:port' },
  { name: 'ip', type: 'string', default: '0.0.0.0', description: 'IP address to listen on' },
  { name: 'port', type: 'int', default: 5051, description: 'port to listen on (0 picks a free one)' },
  { name: 'advertise_ip', type: 'string', description: 'IP address advertised to the master' },
  { name: 'advertise_port', type: 'int', description: 'port advertised to the master' },
  { name: 'hostname', type: 'string', description: 'hostname advertised (default: the machine hostname)' },
  { name: 'work_dir', type: 'string', description: 'checkpoints and sandboxes; default ~/.meso/agent or /var/lib/meso/agent as root' },
  { name: 'runtime_dir', type: 'string', description: 'runtime state (container runtime, sockets); default <work_dir>/run' },
  { name: 'resources', type: 'string', description: 'resources to offer, e.g. cpus:4;mem:8192;ports:[31000-32000] or JSON; auto-detected when absent' },
  { name: 'attributes', type: 'string', description: 'attributes, e.g. rack:r1;zone:z2;cores:8' },
  { name: 'default_role', type: 'string', default: '*', description: 'role of resources given without one in --resources' },
  { name: 'launcher', type: 'string', description: "'linux' (crun containers under conmon; default when crun is installed) or 'posix'", check: oneOf('linux', 'posix') },
  { name: 'isolation', type: 'string', description: 'isolators, comma separated (default posix/cpu,posix/mem; with the linux launcher cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid,filesystem/linux,posix/rlimits,linux/capabilities,linux/seccomp)' },
  { name: 'containerizers', type: 'string', default: 'mesos', description: "only 'mesos' is supported" },
  { name: 'executor_registration_timeout', type: 'duration', default: '1mins', description: 'time a custom executor has to subscribe' },
  { name: 'executor_reregistration_timeout', type: 'duration', default: '2secs', description: 'time executors have to re-subscribe after an agent restart' },
  { name: 'executor_shutdown_grace_period', type: 'duration', default: '5secs', description: 'grace period for executors to shut down' },
  { name: 'recover', type: 'string', default: 'reconnect', description: "'reconnect' re-adopts running tasks after a restart; 'cleanup' kills them", check: oneOf('reconnect', 'cleanup') },
  { name: 'recovery_timeout', type: 'duration', default: '15mins', description: 'how long executors wait for a restarted agent' },
  { name: 'strict', type: 'bool', default: true, description: 'refuse to start when the checkpoint does not match (e.g. different --resources)' },
  { name: 'reconfiguration_policy', type: 'string', default: 'equal', description: "'equal' or 'additive'", check: oneOf('equal', 'additive') },
  { name: 'registration_backoff_factor', type: 'duration', default: '1secs', description: 'initial (randomised) registration backoff' },
  { name: 'http_heartbeat_interval', type: 'duration', default: '30secs', description: 'heartbeat interval on container IO streams' },
  { name: 'gc_delay', type: 'duration', default: '1weeks', description: 'how long finished sandboxes are kept' },
  { name: 'gc_disk_headroom', type: 'number', default: 0.1, description: 'fraction of disk to keep free; sandboxes are collected sooner under pressure' },
  { name: 'disk_watch_interval', type: 'duration', default: '1mins', description: 'how often disk usage is checked for sandbox GC' },
  { name: 'sandbox_directory', type: 'string', default: '/mnt/mesos/sandbox', description: 'where the sandbox appears inside containers with their own root filesystem' },
  { name: 'switch_user', type: 'bool', default: true, description: 'run tasks as their user (when the agent runs as root)' },
  { name: 'l4lb', type: 'bool', default: true, description: "program the cluster's VIPs into this host's kernel (nftables table meso_l4lb); turn off for a second cluster on the same host, whose agents would otherwise rewrite the first one's table" },
  { name: 'authenticate_http_readonly', type: 'bool', default: false, description: 'require HTTP authentication for read-only endpoints' },
  { name: 'authenticate_http_readwrite', type: 'bool', default: false, description: 'require HTTP authentication for read-write endpoints' },
  { name: 'http_credentials', type: 'string', secret: true, description: 'credentials (JSON or path) for HTTP authentication' },
  { name: 'credential', type: 'string', secret: true, description: 'credential (JSON {"principal","secret"} or path) the agent uses with the master' },
  { name: 'executor_environment_variables', type: 'string', description: 'JSON object of environment variables for executors (replaces the agent environment)' },
  { name: 'cgroups_root', type: 'string', default: 'meso', description: 'cgroup under which containers are placed' },
  { name: 'cgroups_hierarchy', type: 'string', default: '/sys/fs/cgroup', description: 'where cgroup hierarchies are mounted' },
  { name: 'cgroups_enable_cfs', type: 'bool', default: false, description: 'enforce CPU limits with CFS quota (hard caps)' },
  { name: 'container_pids_limit', type: 'int', default: 4096, description: 'most processes a container may have (cgroups/pids); 0 = no limit' },
  { name: 'oci_runtime', type: 'string', description: 'OCI runtime binary for the linux launcher (default: crun from PATH; runc accepted)' },
  // network/cni (src/agent/isolators/network/cni): Mesos' CNI flags. Both dirs (or network/cni in --isolation) turn
  // the isolator on; containers whose ContainerInfo.network_infos name a network get their own network namespace.
  { name: 'network_cni_plugins_dir', type: 'string', description: "directory (or ':'-separated directories) of CNI plugin binaries, e.g. /usr/lib/cni" },
  { name: 'network_cni_config_dir', type: 'string', description: 'directory of CNI network configs (.conf, .conflist, .json); a network is known by the "name" in its file' },
  // gpu/nvidia (src/agent/gpu): Mesos' GPU flags, used only when --isolation has gpu/nvidia. Without them every GPU
  // nvidia-smi lists is offered; with --nvidia_gpu_devices, --resources must say gpus:N with the same count.
  { name: 'nvidia_gpu_devices', type: 'string', description: 'GPU indices this agent offers, e.g. 0,1 or [0,1] (needs gpu/nvidia in --isolation and a matching gpus:N in --resources)' },
  { name: 'nvidia_driver_dir', type: 'string', description: 'NVIDIA driver userspace (bin/, lib64/) mounted read-only into GPU containers; default /usr/local/nvidia when present, else assembled from ldconfig -p' },
  // Container images (src/agent/provisioner, src/core/registry): Mesos' Docker image flags, plus meso's
  // --docker_registry_insecure and --image_gc_max_bytes. Images need the linux launcher.
  { name: 'image_providers', type: 'string', description: "image providers: 'docker' (the default with the linux launcher), or 'none'" },
  { name: 'docker_registry', type: 'string', default: 'https://registry-1.docker.io', description: 'registry for image names without a host (URL or host:port); a directory instead serves <dir>/<repo>:<tag>.tar files (Mesos local puller)' },
  { name: 'docker_config', type: 'string', secret: true, description: 'docker config.json (path, or inline JSON) with registry credentials per host ("auths"), used when a task brings none' },
  { name: 'docker_registry_insecure', type: 'string', description: 'registries (host:port, comma separated) reached over plain HTTP; every other registry is HTTPS only' },
  { name: 'docker_store_dir', type: 'string', description: 'image layer store, shared by all containers; default <work_dir>/store/docker' },
  { name: 'image_provisioner_backend', type: 'string', default: 'auto', description: 'how container roots are built: auto (overlay if the kernel has it, else copy), overlay, copy, bind (single-layer images, read-only), aufs', check: oneOf('auto', 'overlay', 'aufs', 'copy', 'bind') },
  { name: 'image_gc_max_bytes', type: 'string', description: 'image store limit (e.g. 10GB): past it, least recently used images no container uses are removed after each pull; default: no automatic GC' },
  // Sandbox log rotation (src/agent/io/logrotate.ts, docs/containerizer.md): the flags of Mesos'
  // LogrotateContainerLogger as agent flags, on by default so that a chatty task cannot fill the disk.
  { name: 'logrotate_max_size', type: 'bytes', default: '10MB', description: "largest size of a task's stdout or stderr file in its sandbox before it is rotated to stdout.1, …; 0 turns rotation off", check: logrotateMaxSizeError },
  { name: 'logrotate_max_files', type: 'int', default: 5, description: 'files kept per stream, the current one included (stdout, stdout.1 … stdout.4): a stream takes at most max_size × max_files', check: logrotateMaxFilesError },
  { name: 'log_dir', type: 'string', description: 'accepted for compatibility' },
  { name: 'logging_level', type: 'string', default: 'INFO', description: 'INFO, WARNING or ERROR' },
  // Task security (docs/security-tasks.md; src/agent/isolators/linux-capabilities.ts, linux-seccomp.ts): Mesos 1.8's
  // capability and seccomp flags. Without them tasks get the secure defaults and the built-in seccomp profile.
  { name: 'effective_capabilities', type: 'string', description: 'capabilities tasks get when they ask for none, as CapabilityInfo JSON ({"capabilities":["NET_RAW"]}) or a comma-separated list; default: Docker\'s set without NET_RAW' },
  { name: 'bounding_capabilities', type: 'string', description: 'the most capabilities a task may ask for on this agent (CapabilityInfo JSON or a comma-separated list); default: whatever the agent holds' },
  { name: 'seccomp_config_dir', type: 'string', description: 'directory of seccomp profiles (Docker format) that --seccomp_profile_name and tasks\' LinuxInfo.seccomp.profile_name name' },
  { name: 'seccomp_profile_name', type: 'string', description: 'default seccomp profile (a file in --seccomp_config_dir) for linux/seccomp; default: the built-in profile, Docker\'s default' },
  // Authentication and authorization (docs/security-auth.md; src/agent/authorization.ts): Mesos' --acls and executor
  // tokens (--jwt_secret_key, once --executor_secret_key), and meso's containers gate.
  { name: 'acls', type: 'string', description: 'ACLs for the local authorizer (JSON or path), as Mesos --acls: see docs/security-auth.md' },
  { name: 'jwt_secret_key', type: 'string', secret: true, description: 'file with the key that signs executor tokens (HS256 JWTs in MESOS_EXECUTOR_AUTHENTICATION_TOKEN, valid for their own executor only)', aliases: ['executor_secret_key'] },
  { name: 'authenticate_http_executors', type: 'bool', default: false, description: 'require executors to authenticate with their token on the executor API (needs --jwt_secret_key)' },
  { name: 'authenticate_http_containers', type: 'bool', description: 'require a principal (HTTP credentials, or an executor token for its own containers) for container calls (sessions, attach, nested containers) and sandbox/log reads; default: on when --http_credentials is given' },
  // Hostile input (docs/security-input.md; src/core/http/server-limits.ts, src/core/proto/json.ts): request body
  // limits per endpoint, the HTTP idle timeout and the JSON limits. Mesos has no such flags; these are meso's.
  { name: 'http_request_body_limits', type: 'string', default: AGENT_BODY_LIMITS, description: "request body limits per endpoint, comma-separated PATH=SIZE (16MB, 512KB; 'unlimited' streams the body); '*' is every other endpoint; entries replace the defaults one by one", check: bodyLimitsError },
  { name: 'http_idle_timeout', type: 'duration', default: '60secs', description: 'how long a connection may wait for its next request, a request body may stall, and a plain response may take to be read (event streams and long-polls are exempt); at most 255secs, 0secs for none', check: idleTimeoutError },
  { name: 'json_max_depth', type: 'int', default: 100, description: 'deepest nesting of arrays and objects in a JSON request', check: positiveLimitError },
  { name: 'json_max_string_length', type: 'bytes', default: '4MB', description: 'longest string in a JSON request (characters)', check: positiveLimitError },
  { name: 'json_max_array_length', type: 'int', default: 100000, description: 'most entries in one JSON array or object', check: positiveLimitError },
  // Registry pulls (src/core/registry/stall.ts, docs/security-files.md): Mesos' flag, which its docker store hands to
  // the registry fetcher as curl's -y. A request with no answer, or no bytes, for this long is given up.
  { name: 'fetcher_stall_timeout', type: 'duration', default: '1mins', description: 'a URI download (CommandInfo.uris) or registry request that gets no answer (connecting included), or no body bytes, for this long fails (a stalled layer download is resumed)' },
  // The fetcher (src/agent/fetcher, docs/containerizer.md#fetcher): Mesos' flags for CommandInfo.uris and its cache.
  { name: 'fetcher_cache_size', type: 'bytes', default: '2GB', description: 'size of the fetcher cache (URIs with cache=true), least recently used files evicted first; a URI larger than this is fetched straight into the sandbox; 0 turns caching off' },
  { name: 'fetcher_cache_dir', type: 'string', description: 'directory of the fetcher cache (its files from an earlier run are deleted when the agent starts); default <work_dir>/fetch' },
  { name: 'frameworks_home', type: 'string', description: 'directory that relative URI paths (CommandInfo.uris without a scheme or leading /) are resolved against' },
] as const satisfies readonly FlagSpec[]

export type AgentFlags = TypedFlags<typeof AGENT_FLAGS>

// Master flags, Mesos names and defaults (upstream src/master/flags.cpp). Accepted-and-ignored flags are listed so
// existing runbooks keep working; GET_FLAGS echoes them.

import type { FlagSpec, TypedFlags } from '../core/flags.ts'
import { MASTER_BODY_LIMITS, bodyLimitsError, idleTimeoutError, positiveLimitError } from '../core/http/server-limits.ts'
import { parseDuration } from '../core/duration.ts'
import { VipRange } from './vips/vip-allocation.ts'

const positive = (v: unknown) => ((v as number) > 0 ? undefined : 'must be positive')

export const MASTER_FLAGS = [
  { name: 'ip', type: 'string', default: '0.0.0.0', description: 'IP address to listen on' },
  { name: 'port', type: 'int', default: 5050, description: 'port to listen on (0 picks a free one)' },
  { name: 'advertise_ip', type: 'string', description: 'IP address advertised to frameworks and agents' },
  { name: 'advertise_port', type: 'int', description: 'port advertised to frameworks and agents' },
  { name: 'hostname', type: 'string', description: 'hostname advertised in MasterInfo (default: the machine hostname)' },
  { name: 'work_dir', type: 'string', description: 'where the registry (SQLite) is kept; default ~/.meso/master or /var/lib/meso/master as root' },
  { name: 'registry', type: 'string', default: 'replicated_log', description: "'replicated_log' (persisted in work_dir) or 'in_memory'", check: v => (v === 'replicated_log' || v === 'in_memory' ? undefined : "must be 'replicated_log' or 'in_memory'") },
  { name: 'cluster', type: 'string', description: 'cluster name shown in state' },
  { name: 'weights', type: 'string', description: 'role weights, e.g. dev=2,prod=3' },
  { name: 'allocation_interval', type: 'duration', default: '1secs', description: 'how often the allocator runs', check: positive },
  { name: 'offer_timeout', type: 'duration', description: 'rescind offers not answered within this time' },
  { name: 'min_allocatable_resources', type: 'string', default: 'cpus:0.01|mem:32', description: 'smallest offer the allocator makes (alternatives separated by |)' },
  { name: 'filter_gpu_resources', type: 'bool', default: true, description: 'offer GPU agents only to frameworks with GPU_RESOURCES' },
  { name: 'agent_ping_timeout', type: 'duration', default: '15secs', description: 'time between pings to an agent', aliases: ['slave_ping_timeout'], check: positive },
  { name: 'max_agent_ping_timeouts', type: 'int', default: 5, description: 'missed pings before an agent is unreachable', aliases: ['max_slave_ping_timeouts'], check: positive },
  { name: 'agent_reregister_timeout', type: 'duration', default: '10mins', description: 'how long recovered agents have to re-register after a master restart', aliases: ['slave_reregister_timeout'] },
  { name: 'max_completed_frameworks', type: 'int', default: 50, description: 'completed frameworks kept in memory' },
  { name: 'max_completed_tasks_per_framework', type: 'int', default: 1000, description: 'completed tasks kept per framework' },
  { name: 'max_unreachable_tasks_per_framework', type: 'int', default: 1000, description: 'unreachable tasks kept per framework' },
  { name: 'max_operator_event_stream_subscribers', type: 'int', default: 1000, description: 'concurrent operator SUBSCRIBE streams' },
  { name: 'authenticate_http_readonly', type: 'bool', default: false, description: 'require HTTP authentication for read-only endpoints' },
  { name: 'authenticate_http_readwrite', type: 'bool', default: false, description: 'require HTTP authentication for read-write endpoints' },
  { name: 'authenticate_http_frameworks', type: 'bool', default: false, description: 'require HTTP authentication for the scheduler API' },
  { name: 'authenticate_agents', type: 'bool', default: false, description: 'require agents to authenticate' },
  { name: 'credentials', type: 'string', secret: true, description: 'credentials (JSON or path) for HTTP authentication' },
  // The secret store (docs/security-secrets.md). A path; marked secret so that anything but an absolute path (a key
  // pasted by mistake) shows as REDACTED in /flags.
  { name: 'secret_key_file', type: 'string', secret: true, description: 'file with the 32-byte key (raw, hex or base64) that encrypts the secret store; default <work_dir>/secret-store.key, generated once (0600)' },
  { name: 'acls', type: 'string', description: 'ACLs for the local authorizer (JSON or path), as Mesos --acls: see docs/security-auth.md' },
  { name: 'roles', type: 'string', description: '(deprecated) role whitelist' },
  { name: 'log_dir', type: 'string', description: 'accepted for compatibility' },
  { name: 'logging_level', type: 'string', default: 'INFO', description: 'INFO, WARNING or ERROR' },
  { name: 'quiet', type: 'bool', default: false, description: 'accepted for compatibility' },
  // High availability (docs/zookeeper.md): masters contend in ZooKeeper; the registrar lives there.
  { name: 'zk', type: 'string', description: 'ZooKeeper URL for leader election and the replicated registrar, e.g. zk://h1:2181,h2:2181/mesos (a file:// path holding the URL works too)' },
  { name: 'quorum', type: 'int', description: "the registrar's quorum in Mesos' replicated log; with ZooKeeper the ensemble's own majority decides (checked: at least 1)", check: v => (v === undefined || (v as number) >= 1 ? undefined : 'must be at least 1') },
  { name: 'zk_session_timeout', type: 'duration', default: '10secs', description: "ZooKeeper session timeout: how long a leader cut off from ZooKeeper keeps leading before it steps down", check: positive },
  // Authentication and authorization (docs/security-auth.md). Mesos' --authenticate_frameworks is for
  // driver-based (PID) frameworks; meso's frameworks are all HTTP, so it has the effect of --authenticate_http_frameworks.
  { name: 'authenticate_frameworks', type: 'bool', default: false, description: 'require frameworks to authenticate (meso has only HTTP frameworks: same as --authenticate_http_frameworks)', aliases: ['authenticate'] },
  // Hostile input (docs/security-input.md; src/core/http/server-limits.ts, src/core/proto/json.ts): request body
  // limits per endpoint, the HTTP idle timeout and the JSON limits. Mesos has no such flags; these are meso's.
  { name: 'http_request_body_limits', type: 'string', default: MASTER_BODY_LIMITS, description: "request body limits per endpoint, comma-separated PATH=SIZE (16MB, 512KB; 'unlimited' streams the body); '*' is every other endpoint; entries replace the defaults one by one", check: bodyLimitsError },
  { name: 'http_idle_timeout', type: 'duration', default: '60secs', description: 'how long a connection may wait for its next request, a request body may stall, and a plain response may take to be read (event streams and long-polls are exempt); at most 255secs, 0secs for none', check: idleTimeoutError },
  { name: 'json_max_depth', type: 'int', default: 100, description: 'deepest nesting of arrays and objects in a JSON request', check: positiveLimitError },
  { name: 'json_max_string_length', type: 'bytes', default: '4MB', description: 'longest string in a JSON request (characters)', check: positiveLimitError },
  { name: 'json_max_array_length', type: 'int', default: 100000, description: 'most entries in one JSON array or object', check: positiveLimitError },
  // The jobs scheduler (docs/jobs.md): Metronome's /v1 API on the master, a built-in framework.
  { name: 'jobs', type: 'bool', default: true, description: "run the jobs scheduler (Metronome's /v1 REST API: jobs, schedules, runs, pipelines; docs/jobs.md); --no-jobs turns it off" },
  { name: 'job_history_limit', type: 'int', default: 10, description: 'finished runs kept per job, successful and failed each (the oldest dropped first); also pipeline runs kept per job', check: v => ((v as number) >= 1 && (v as number) <= 1000 ? undefined : 'must be 1-1000') },
  // The services scheduler (docs/services.md): Marathon's /v2 API on the master, a built-in framework.
  { name: 'services', type: 'bool', default: true, description: "run the services scheduler (Marathon's /v2 REST API: long-running apps, deployments, health checks, constraints; docs/services.md); --no-services turns it off" },
  { name: 'max_agent_message_size', type: 'bytes', default: '16MB', description: 'largest message an agent may send on its link; a bigger one closes the link (WebSocket code 1009)', check: positiveLimitError },
  // DNS service discovery, Mesos-DNS compatible (src/master/dns/, docs/discovery.md). Mesos has no such flags; these
  // are meso's, named after Mesos-DNS' config keys (Port, Domain, TTL, Resolvers, IPSources, Timeout, EnforceRFC952).
  { name: 'dns', type: 'bool', default: false, description: 'serve DNS for tasks, agents and masters (<task>.<framework>.mesos; docs/discovery.md) on --dns_port, UDP and TCP; meso up turns it on' },
  { name: 'dns_port', type: 'int', default: process.getuid?.() === 0 ? 53 : 8053, description: 'DNS port, UDP and TCP (0 picks a free one); default 53 as root, else 8053', check: v => ((v as number) >= 0 && (v as number) <= 65535 ? undefined : 'must be a port (0-65535)') },
  { name: 'dns_ip', type: 'string', description: "address the DNS listens on (default: --ip); on 0.0.0.0 names outside the domain are forwarded only for loopback and private-network askers" },
  { name: 'dns_domain', type: 'string', default: 'mesos', description: 'the domain meso answers for', check: v => (/^(?=.{1,200}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(String(v)) ? undefined : 'must be a lower-case domain name (letters, digits, - and dots), e.g. mesos') },
  { name: 'dns_ttl', type: 'int', default: 60, description: 'TTL of the records served (seconds)', check: v => ((v as number) >= 0 && (v as number) <= 2147483647 ? undefined : 'must be 0 or more seconds') },
  { name: 'dns_resolvers', type: 'string', description: "upstream resolvers for other names, comma-separated IP or IP:PORT ([IPv6]:PORT); default: the nameservers in /etc/resolv.conf (minus meso's own); 'none' forwards nothing (REFUSED)" },
  { name: 'dns_ip_sources', type: 'string', default: 'netinfo,mesos,host', description: "where a task's A record address comes from, first that has one: netinfo (container IPs from CNI), mesos, docker (status labels), host (the agent's IP)", check: v => (String(v).split(',').every(x => ['netinfo', 'mesos', 'docker', 'host'].includes(x.trim())) ? undefined : 'must be a comma-separated list of netinfo, mesos, docker, host') },
  { name: 'dns_forward_timeout', type: 'duration', default: '5secs', description: 'how long each upstream resolver has to answer a forwarded query', check: positive },
  { name: 'dns_enforce_rfc952', type: 'bool', default: false, description: 'name labels by RFC 952 (24 characters, starting with a letter) instead of RFC 1123 (63)' },
  // Named VIPs' addresses (src/master/vips/, docs/discovery.md); DC/OS' dcos-l4lb uses the same range.
  { name: 'vip_range', type: 'string', default: '11.0.0.0/8', description: 'IPv4 range named VIPs (VIP_0=/name:port port labels) get their addresses from; keep it apart from every real network the cluster reaches', check: v => { try { VipRange.parse(String(v)); return undefined } catch (err) { return (err as Error).message.replace(/^--vip_range=\S+: /, '') } } },
] as const satisfies readonly FlagSpec[]

export type MasterFlags = TypedFlags<typeof MASTER_FLAGS>

/** Parses `--weights=dev=2,prod=3`. */
export function parseWeights(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  if (!text) return out
  for (const part of text.split(',')) {
    const [role, w] = part.split('=').map(s => s.trim())
    const n = Number(w)
    if (!role || !(n > 0)) throw new Error(`--weights: bad entry '${part}' (expected role=weight with weight > 0)`)
    out[role] = n
  }
  return out
}

/** Parses `--min_allocatable_resources=cpus:0.01|mem:32` into alternatives. */
export function parseMinAllocatable(text: string): { cpus?: number; mem?: number }[] {
  return text.split('|').map(alt => {
    const q: Record<string, number> = {}
    for (const kv of alt.split(';')) {
      const [k, v] = kv.split(':').map(s => s.trim())
      if (k && v !== undefined) q[k] = Number(v)
    }
    return q
  })
}

export { parseDuration }

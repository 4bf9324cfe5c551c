// The explicit command map oclif uses inside the compiled binary (no file-system discovery there).
import AgentDaemon from './agent.ts'
import AgentList from './agent/list.ts'
import AgentDrain from './agent/drain.ts'
import AgentDeactivate from './agent/deactivate.ts'
import AgentReactivate from './agent/reactivate.ts'
import AgentMaintenance from './agent/maintenance.ts'
import ClusterStatus from './cluster/status.ts'
import Completion from './completion.ts'
import DnsLookup from './dns/lookup.ts'
import VipList from './vip/list.ts'
import VipShow from './vip/show.ts'
import FrameworkList from './framework/list.ts'
import FrameworkTeardown from './framework/teardown.ts'
import HelpCommand from './help.ts'
import ImageGc from './image/gc.ts'
import ImageList from './image/list.ts'
import ImageLoad from './image/load.ts'
import ImagePull from './image/pull.ts'
import ImageRm from './image/rm.ts'
import JobCreate from './job/create.ts'
import JobHistory from './job/history.ts'
import JobList from './job/list.ts'
import JobRm from './job/rm.ts'
import JobRun from './job/run.ts'
import JobScheduleAdd from './job/schedule/add.ts'
import JobScheduleList from './job/schedule/list.ts'
import JobScheduleRm from './job/schedule/rm.ts'
import JobShow from './job/show.ts'
import JobStop from './job/stop.ts'
import LogrotateDaemon from './logrotate.ts'
import MasterDaemon from './master.ts'
import NetworkList from './network/list.ts'
import QuotaList from './quota/list.ts'
import QuotaRm from './quota/rm.ts'
import QuotaSet from './quota/set.ts'
import SecretCreate from './secret/create.ts'
import SecretList from './secret/list.ts'
import SecretRm from './secret/rm.ts'
import ServiceDeploy from './service/deploy.ts'
import ServiceEndpoints from './service/endpoints.ts'
import ServiceList from './service/list.ts'
import ServiceRestart from './service/restart.ts'
import ServiceRm from './service/rm.ts'
import ServiceRollback from './service/rollback.ts'
import ServiceScale from './service/scale.ts'
import ServiceShow from './service/show.ts'
import ServiceTasks from './service/tasks.ts'
import ServiceVersions from './service/versions.ts'
import TaskAttach from './task/attach.ts'
import TaskExec from './task/exec.ts'
import TaskKill from './task/kill.ts'
import TaskList from './task/list.ts'
import TaskLogs from './task/logs.ts'
import TaskRun from './task/run.ts'
import Up from './up.ts'
import VersionCommand from './version.ts'
import VolumeList from './volume/list.ts'

export const COMMANDS = {
  master: MasterDaemon,
  agent: AgentDaemon,
  up: Up,
  'agent:list': AgentList,
  'agent:drain': AgentDrain,
  'agent:deactivate': AgentDeactivate,
  'agent:reactivate': AgentReactivate,
  'agent:maintenance': AgentMaintenance,
  'framework:list': FrameworkList,
  'framework:teardown': FrameworkTeardown,
  'cluster:status': ClusterStatus,
  'task:run': TaskRun,
  'task:list': TaskList,
  'task:kill': TaskKill,
  'network:list': NetworkList,
  'task:exec': TaskExec,
  'task:attach': TaskAttach,
  'task:logs': TaskLogs,
  'image:pull': ImagePull,
  'image:list': ImageList,
  'image:rm': ImageRm,
  'image:load': ImageLoad,
  'image:gc': ImageGc,
  'quota:set': QuotaSet,
  'quota:list': QuotaList,
  'quota:rm': QuotaRm,
  'secret:create': SecretCreate,
  'secret:list': SecretList,
  'secret:rm': SecretRm,
  'volume:list': VolumeList,
  'dns:lookup': DnsLookup,
  'vip:list': VipList,
  'vip:show': VipShow,
  'job:create': JobCreate,
  'job:list': JobList,
  'job:show': JobShow,
  'job:run': JobRun,
  'job:stop': JobStop,
  'job:history': JobHistory,
  'job:rm': JobRm,
  'job:schedule:add': JobScheduleAdd,
  'job:schedule:list': JobScheduleList,
  'job:schedule:rm': JobScheduleRm,
  'service:deploy': ServiceDeploy,
  'service:list': ServiceList,
  'service:show': ServiceShow,
  'service:scale': ServiceScale,
  'service:restart': ServiceRestart,
  'service:rollback': ServiceRollback,
  'service:rm': ServiceRm,
  'service:tasks': ServiceTasks,
  'service:versions': ServiceVersions,
  'service:endpoints': ServiceEndpoints,
  completion: Completion,
  help: HelpCommand,
  version: VersionCommand,
  // Hidden: the agent's log rotator, started by the agent (src/agent/io/logrotate-client.ts).
  __logrotate: LogrotateDaemon,
}

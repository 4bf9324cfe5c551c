// The explicit command map oclif uses inside the compiled binary (no file-system discovery there).
import AgentDaemon from './agent.ts'
import AgentList from './agent/list.ts'
import ClusterStatus from './cluster/status.ts'
import FrameworkList from './framework/list.ts'
import FrameworkTeardown from './framework/teardown.ts'
import MasterDaemon from './master.ts'
import TaskKill from './task/kill.ts'
import TaskList from './task/list.ts'
import TaskRun from './task/run.ts'
import Up from './up.ts'

export const COMMANDS = {
  master: MasterDaemon,
  agent: AgentDaemon,
  up: Up,
  'agent:list': AgentList,
  'framework:list': FrameworkList,
  'framework:teardown': FrameworkTeardown,
  'cluster:status': ClusterStatus,
  'task:run': TaskRun,
  'task:list': TaskList,
  'task:kill': TaskKill,
}

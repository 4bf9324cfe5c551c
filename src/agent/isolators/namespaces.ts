// namespaces/pid and namespaces/ipc: a namespace of the container's own; nested containers join their parent's
// (task groups share pid, ipc, uts and network, as in Mesos).

import type { OciSpec } from '../containerizer/oci-spec.ts'
import type { IsolationContext, Isolator } from './isolator.ts'

function namespace(type: 'pid' | 'ipc', isolatorName: string): Isolator {
  return {
    name: isolatorName,
    isolate(spec: OciSpec, ctx: IsolationContext) {
      spec.linux.namespaces = spec.linux.namespaces.filter(n => n.type !== type)
      spec.linux.namespaces.push(ctx.parent ? { type, path: `/proc/${ctx.parent.pid}/ns/${type}` } : { type })
    },
  }
}

export const namespacesPid = namespace('pid', 'namespaces/pid')
export const namespacesIpc = namespace('ipc', 'namespaces/ipc')

// Path routing with libprocess' rules: a daemon's own process id (`master`, `slave(1)`) is its delegate, so
// `/state` and `/master/state` are the same endpoint; trailing slashes are trimmed; an unknown sub-path falls back
// to the longest registered prefix (`/master/frameworks/` works — the Mesos Python CLI relies on it).

import { methodNotAllowed, notFound } from './responses.ts'

export type Handler = (req: Request, url: URL, server: import('bun').Server<any>) => Response | Promise<Response> | undefined | Promise<Response | undefined>

interface Route { methods: Set<string> | null; handler: Handler }

export class Router {
  private routes = new Map<string, Route>()

  constructor(private readonly delegate: string) {}

  /** Registers `path` (given without the delegate prefix) for the listed methods (null = any). */
  on(methods: string[] | null, path: string, handler: Handler): this {
    const route = { methods: methods ? new Set(methods) : null, handler }
    this.routes.set(path, route)
    if (this.delegate && !path.startsWith(`/${this.delegate}/`)) this.routes.set(`/${this.delegate}${path}`, route)
    return this
  }

  get(path: string, handler: Handler) { return this.on(['GET', 'HEAD', 'POST'], path, handler) }
  post(path: string, handler: Handler) { return this.on(['POST'], path, handler) }

  async handle(req: Request, server: import('bun').Server<any>): Promise<Response | undefined> {
    const url = new URL(req.url)
    let path = url.pathname.replace(/\/+$/, '') || '/'
    let route = this.routes.get(path)
    while (!route && path.lastIndexOf('/') > 0) {
      path = path.slice(0, path.lastIndexOf('/'))
      route = this.routes.get(path)
      // Only fall back for paths registered as prefixes of deeper paths, never to the root.
    }
    if (!route) return notFound()
    if (route.methods && !route.methods.has(req.method)) return methodNotAllowed([...route.methods].filter(m => m !== 'HEAD'))
    return route.handler(req, url, server)
  }
}

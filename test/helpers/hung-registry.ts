// A "registry" on loopback that accepts TCP connections and never answers a byte (docs/security-files.md, pull
// timeouts), counting the connections it holds, so a test can see a pull give up — or be abandoned — and close them.

import { createServer, type Socket } from 'node:net'

export interface HungRegistry {
  host: string
  url: string
  /** Connections accepted so far, and those the client has not closed yet. */
  accepted(): number
  open(): number
  stop(): Promise<void>
}

export async function startHungRegistry(): Promise<HungRegistry> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer(socket => {
    accepted++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.resume() // read and drop the request; never write
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    open: () => sockets.size,
    stop: () => new Promise(resolve => { for (const s of sockets) s.destroy(); server.close(() => resolve()) }),
  }
}

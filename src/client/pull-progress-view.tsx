// The ink view of `meso image pull` on a TTY: one block per agent, one bar per layer with bytes, rate and ETA.
// Loaded lazily (only when stderr is a TTY), so plain runs never pay for ink and React.

import { Box, render, Text } from 'ink'
import { useEffect, useState } from 'react'
import { bar, describeRow, type PullProgress } from './pull-progress.ts'

function View({ progress }: { progress: PullProgress }) {
  const [, setTick] = useState(0)
  useEffect(() => {
    const t = setInterval(() => setTick(v => v + 1), 100)
    return () => clearInterval(t)
  }, [])
  const many = progress.agents.size > 1
  return (
    <Box flexDirection="column">
      {[...progress.agents.values()].map(a => (
        <Box key={a.label} flexDirection="column">
          <Text bold>{many ? `${a.label}: ` : ''}{a.reference ?? 'resolving…'}</Text>
          {progress.rows(a.label).map(r => (
            <Text key={r.id}>
              {'  '}{r.id}{' '}
              <Text color={r.status === 'done' || r.status === 'cached' ? 'green' : 'cyan'}>{bar(r.fraction ?? 0, 24)}</Text>
              {' '}{r.status.padEnd(11)} {describeRow(r)}
            </Text>
          ))}
          {a.final?.type === 'error' ? <Text color="red">  error: {a.final.message}</Text> : null}
          {a.final?.type === 'done' ? <Text color="green">  pulled {a.final.digest}</Text> : null}
        </Box>
      ))}
    </Box>
  )
}

/** Renders to stderr until `done` resolves; returns once the last frame is drawn. */
export async function renderPullProgress(progress: PullProgress, done: Promise<unknown>): Promise<void> {
  // exitOnCtrlC off: ink would put stdin in raw mode (and keep the process alive); Ctrl-C stays a plain SIGINT.
  const app = render(<View progress={progress} />, { stdout: process.stderr as any, patchConsole: false, exitOnCtrlC: false })
  await done.catch(() => {})
  await Bun.sleep(120)
  app.unmount()
}

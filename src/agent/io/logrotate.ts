// Sandbox log rotation (--logrotate_max_size, --logrotate_max_files), as Mesos' LogrotateContainerLogger: the leading
// file keeps its name (`stdout`, `stderr`) and never grows past the max size; full files move to `stdout.1`,
// `stdout.2`, … (the higher, the older) and the oldest beyond the count is deleted, so one stream never takes more than
// max_size × max_files bytes.
//
// The linux launcher's containers write into named pipes read by the agent's log rotator, one process for all of
// them (logrotate-daemon.ts). Other writers the agent does not own (a posix task's monitor, a conmon started without
// the rotator) write into a pipe read by a companion logger per stream, a few lines of /bin/sh around `head -c`
// (under 2 MB of memory, where a second Bun process would take 25 MB), started in its own session: it outlives an
// agent restart, so a re-adopted container keeps being rotated, and it learns how full the leading file is from the
// agent at start (one `stat` process less per stream) and from the file itself after each cut. `head -c N` never reads more than N bytes from the pipe, so the cut is exact and
// nothing is lost between two files; `stdbuf -o0` makes it write each read through at once (head's stdio buffer
// would otherwise hold small writes back until it exits). Output the agent writes itself (the log pump of
// TTY/stdin containers) goes through RotatingFile (rotating-file.ts), which follows the same rules in-process.

import { closeSync, constants, openSync, statSync } from 'node:fs'
import type { LogRotation } from './logrotate-policy.ts'
import { makeFifo, makePipe } from './unix.ts'

/**
 * The companion logger: reads its stdin (or the named pipe given as $1, opened here so that the open waits in this
 * process for the writer) until EOF, i.e. until every writer closed it (the container ended), rotating `file`.
 * A failed write (disk full, sandbox removed) does not kill the task with SIGPIPE: the rest of its output is drained,
 * and the reason left in `<file>.logrotate-error`.
 */
export const LOGROTATE_SCRIPT = `p=$1 f=$2 max=$3 keep=$4 s=$5
trap '' HUP INT TERM
if [ "$p" != - ]; then exec <"$p"; fi
size() { stat -c %s "$f" 2>/dev/null || echo 0; }
while :; do
  if [ "$s" -ge "$max" ]; then
    if [ "$keep" -le 1 ]; then rm -f "$f"
    else
      i=$((keep - 1))
      while [ "$i" -gt 1 ]; do if [ -e "$f.$((i - 1))" ]; then mv -f "$f.$((i - 1))" "$f.$i"; fi; i=$((i - 1)); done
      mv -f "$f" "$f.1"
    fi
    s=0
  fi
  if ! err=$(stdbuf -o0 head -c $((max - s)) 2>&1 >>"$f"); then echo "$err" >"$f.logrotate-error"; cat >/dev/null; exit 1; fi
  s=$(size)
  [ "$s" -ge "$max" ] || exit 0
done`

function spawnLogger(input: string, stdin: number | 'ignore', file: string, rot: LogRotation) {
  // How full the leading file is, told rather than asked: a `stat` process less per stream and container.
  let size = 0
  try { size = statSync(file).size } catch { /* not yet created */ }
  // setsid: neither the agent's end nor a Ctrl-C on `meso up` stops it; only EOF on its input does.
  const proc = Bun.spawn(['setsid', '/bin/sh', '-c', LOGROTATE_SCRIPT, 'meso-logrotate', input, file, String(rot.maxSize), String(rot.maxFiles), String(size)], {
    stdio: [stdin, 'ignore', 'ignore'],
  })
  proc.unref()
}

/**
 * For a writer that opens a path itself (the posix monitor's `>>`): a named pipe at `fifo` and a logger blocked on
 * opening it; the writer's open and the logger's meet, so nothing can be written before there is a reader.
 */
export function startFifoLogger(fifo: string, file: string, rot: LogRotation) {
  makeFifo(fifo)
  spawnLogger(fifo, 'ignore', file, rot)
}

/**
 * Ends a logger whose writer never came: opening the pipe as a writer (without blocking) and closing it is its EOF.
 * A logger that has not opened its end yet (still starting, on a loaded machine) makes the open fail with ENXIO;
 * it is tried again for a while, or the logger would wait for a writer forever.
 */
export function releaseFifoLogger(fifo: string, until = Date.now() + 10_000) {
  try {
    closeQuietly(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENXIO' && Date.now() < until) setTimeout(() => releaseFifoLogger(fifo, until), 50)
  }
}

/**
 * For a writer the agent hands a file descriptor (conmon): a pipe whose read end the logger got at spawn. The caller
 * passes the returned write end on and closes it; the logger sees EOF once the last copy (the container's) closes.
 */
export function openRotatedSink(file: string, rot: LogRotation): number {
  const [r, w] = makePipe()
  try {
    spawnLogger('-', r, file, rot)
  } catch (err) {
    closeQuietly(w)
    throw new Error(`cannot start the log rotator for ${file}: ${(err as Error).message}`)
  } finally {
    closeQuietly(r)
  }
  return w
}

export function closeQuietly(fd: number) { try { closeSync(fd) } catch { /* already closed */ } }

#!/usr/bin/env bash
# Installs what meso needs on this machine and puts `meso` on PATH. Idempotent: run it again any time.
#   - Node packages (Bun comes from npm as a pinned devDependency), then the compiled binary dist/meso
#   - runtime packages from the distro when running as root: crun, conmon, catatonit (the static init run as PID 1 of
#     containers, so tasks die of SIGTERM), CNI plugins, iproute2, iptables, zstd (for zstd-compressed image layers),
#     unzip, bzip2, xz-utils (the fetcher unpacks .zip, .tar.bz2 and .tar.xz URIs)
#   - test fixtures/baselines: busybox-static, docker-registry, apache2-utils, skopeo, umoci, podman, hyperfine, jq, zookeeper (a real ZooKeeper for the HA tests), zsh and fish (the completion tests), zip (the fetcher tests' archives), chromium (the web UI's browser tests), dnsutils (dig, the DNS tests) and dnsmasq-base (the DNS benchmark's baseline)
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '==> %s\n' "$*"; }

# Options: --force replaces a `meso` link that belongs to another checkout (or another file); --link-only only puts
# `meso` on PATH (no packages, no build). MESO_BIN_DIR overrides where the link goes.
force=0 link_only=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --link-only) link_only=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      echo 'Options: --force replaces a meso on PATH that is not this checkout'"'"'s; --link-only only links meso (MESO_BIN_DIR: where)'
      exit 0 ;;
    *) echo "install.sh: unknown option $arg (options: --force, --link-only)" >&2; exit 2 ;;
  esac
done

# Links `meso` onto PATH; an existing `meso` there that is not this checkout's is never repointed silently.
link_meso() {
  local dir="${MESO_BIN_DIR:-}"
  if [ -z "$dir" ]; then if [ "$(id -u)" = 0 ]; then dir=/usr/local/bin; else dir="$HOME/.local/bin"; fi; fi
  mkdir -p "$dir"
  local target="$dir/meso" ours="$PWD/bin/meso"
  if [ -e "$target" ] || [ -L "$target" ]; then
    local current; current=$(readlink -f "$target" || true)
    if [ "$current" = "$(readlink -f "$ours")" ]; then
      say "meso is at $target (already this checkout's)"
    elif [ ! -e "$target" ]; then
      say "replacing $target: it pointed to $(readlink "$target"), which no longer exists"
      ln -sfn "$ours" "$target"
    elif [ "$force" = 1 ]; then
      say "replacing $target (was $current) with this checkout's meso (--force)"
      rm -f "$target" && ln -s "$ours" "$target"
    else
      local what="a file of its own"; [ -L "$target" ] && what="a link to $current"
      say "leaving $target alone: it is $what, not this checkout's $ours; run ./install.sh --force to replace it"
      return 0
    fi
  else
    ln -s "$ours" "$target"
    say "meso is at $target"
  fi
  local first; first=$(command -v meso || true)
  if [ -n "$first" ] && [ "$(readlink -f "$first")" != "$(readlink -f "$ours")" ]; then
    say "note: $first comes first on your PATH and is not this checkout's meso"
  fi
  case ":$PATH:" in *":$dir:"*) ;; *) say "add $dir to your PATH";; esac
}

if [ "$link_only" = 1 ]; then link_meso; exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  runtime="crun conmon catatonit containernetworking-plugins iproute2 iptables nftables util-linux zstd unzip bzip2 xz-utils"
  extras="python3-minimal busybox-static docker-registry apache2-utils skopeo umoci podman hyperfine jq openssl tmux xz-utils zookeeper zsh fish zip dnsutils dnsmasq-base"
  extras="$extras chromium" # the web UI's browser tests (test/e2e/ui.test.ts, driven by playwright-core)
  missing=""
  for p in $runtime $extras; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    say "installing distro packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    say "distro packages already installed"
  fi
else
  say "not root (or no apt-get): skipping distro packages; meso falls back to the posix launcher without crun/conmon"
fi

say "installing node packages"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi

say "building dist/meso"
npm run --silent build

link_meso
say "$(./bin/meso --version 2>/dev/null | head -1)"
say "start a one-node cluster with: meso up"

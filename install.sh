#!/usr/bin/env bash
# Installs what meso needs on this machine and puts `meso` on PATH. Idempotent: run it again any time.
#   - Node packages (Bun comes from npm as a pinned devDependency), then the compiled binary dist/meso
#   - runtime packages from the distro when running as root: crun, conmon, CNI plugins, iproute2, iptables, zstd (for zstd-compressed image layers)
#   - test fixtures/baselines: busybox-static, docker-registry, apache2-utils, skopeo, umoci, podman, hyperfine, jq, zookeeper (a real ZooKeeper for the HA tests)
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  runtime="crun conmon containernetworking-plugins iproute2 iptables util-linux zstd"
  extras="python3-minimal busybox-static docker-registry apache2-utils skopeo umoci podman hyperfine jq openssl tmux xz-utils zookeeper"
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

target=/usr/local/bin/meso
if [ "$(id -u)" != 0 ]; then mkdir -p "$HOME/.local/bin"; target="$HOME/.local/bin/meso"; fi
ln -sf "$PWD/bin/meso" "$target"
say "meso is at $target ($(./bin/meso --version 2>/dev/null | head -1))"
case ":$PATH:" in *":$(dirname "$target"):"*) ;; *) say "add $(dirname "$target") to your PATH";; esac
say "start a one-node cluster with: meso up"

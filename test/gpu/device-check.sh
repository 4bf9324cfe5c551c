#!/usr/bin/env bash
# The real-GPU check of meso's gpu/nvidia support (issue 8), for the device machine: one H100, Ubuntu 24.04,
# cgroup v2 only, driver in /usr/local/nvidia/{bin,lib64}, no crun, no conmon, no network.
#
# HOW TO RUN IT (from a session whose task is lent a GPU machine: the device tool's `status` says
# can_start_another=true):
#   1. here, in the repo root:  npm run build                      # dist/meso with GPU support (~127 MB)
#   2. here:                    bash test/gpu/prepare-carry.sh     # fills .devcarry/ (git-ignored, ~50 MB):
#                                 meso.xz (dist/meso, xz -9), Debian's crun + conmon with their shared libraries,
#                                 and wrappers in .devcarry/oci/bin that run them on those libraries
#   3. device tool `run` with:
#        kind:      "nvidia-h100-x1"
#        carry:     [".devcarry"]
#        timeout_s: 600
#        command:   "set -o pipefail; bash test/gpu/device-check.sh 2>&1 | tee $OUT/device-check.log"
#      $OUT also receives meso-up.log (the cluster's own log). Paste the PASS/FAIL lines into the issue.
#
# What it does: unpacks meso, puts the carried crun/conmon first on PATH (so the agent's linux launcher finds them;
# without them it would fall back to the posix launcher, which cannot fence GPUs off), starts `meso up` with
# gpu/nvidia, then checks: the agent offers the H100 (meso agent list); `meso task run --gpus 1 -- nvidia-smi -L`
# lists exactly one GPU, the H100; CUDA inside such a task counts one device; a task without GPUs
# (`--gpus 0`: the framework has GPU_RESOURCES but asks for none) sees no NVIDIA device and nvidia-smi finds no
# GPU; plain `meso task run` (no GPU_RESOURCES) is never offered the GPU agent; a raw SUBSCRIBE without
# GPU_RESOURCES gets no offer while one with it does (offer-gating.py); GPU usage shows in /monitor/statistics.
# Exit status: the number of FAIL lines.
#
# Rehearsal on a machine without a GPU (fake GPUs, test/helpers/fake-gpus.ts): put a fake nvidia-smi in a
# directory the containers can see (not under /tmp: containers get a fresh /tmp), then e.g.
#   PATH=$PWD/.devcarry/fake/bin:$PATH NVIDIA_BIN_DIR=$PWD/.devcarry/fake/bin MESO_PORT=15050 \
#   MESO_CMD="$PWD/node_modules/.bin/bun $PWD/src/main.ts" bash test/gpu/device-check.sh
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CARRY=${CARRY:-$ROOT/.devcarry}
NV_BIN=${NVIDIA_BIN_DIR:-/usr/local/nvidia/bin}
PORT=${MESO_PORT:-5050}
EXPECT_MODEL=${EXPECT_MODEL:-H100}
ISOLATION=cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid,filesystem/linux,posix/rlimits,cgroups/devices,gpu/nvidia
W=$(mktemp -d /var/tmp/meso-gpu-check.XXXXXX)
M=http://127.0.0.1:$PORT
FAILS=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
info() { echo "INFO: $*"; }
indent() { sed 's/^/    /'; }
export PATH="$PATH:$NV_BIN"

# --- meso itself ---------------------------------------------------------------------------------------------
if [ -n "${MESO_CMD:-}" ]; then
  read -r -a MESO <<< "$MESO_CMD"
else
  [ -f "$CARRY/meso.xz" ] || { echo "FAIL: $CARRY/meso.xz missing (run test/gpu/prepare-carry.sh and carry .devcarry)"; exit 1; }
  if command -v xz > /dev/null; then xz -dc "$CARRY/meso.xz" > "$W/meso"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$CARRY/meso.xz" "$W/meso"; fi
  chmod +x "$W/meso"
  MESO=("$W/meso")
fi
meso() { "${MESO[@]}" "$@"; }
info "meso $(meso --version 2>&1 | head -1)"

# --- the OCI runtime: carried crun + conmon when present (the GPU machine has neither) --------------------------
LAUNCHER=linux
if [ -x "$CARRY/oci/bin/crun" ] && [ -x "$CARRY/oci/bin/conmon" ]; then export PATH="$CARRY/oci/bin:$PATH"; fi
if crun --version > "$W/crun.txt" 2>&1 && conmon --version > "$W/conmon.txt" 2>&1; then
  info "OCI runtime: $(command -v crun) ($(head -1 "$W/crun.txt")), $(command -v conmon) ($(head -1 "$W/conmon.txt"))"
else
  fail "crun/conmon do not run here: $(cat "$W/crun.txt" "$W/conmon.txt" 2>/dev/null | head -3 | tr '\n' ' ')"
  info "falling back to the posix launcher: GPUs are allocated and named in the environment but NOT fenced off"
  LAUNCHER=posix
fi

# --- host facts ---------------------------------------------------------------------------------------------
info "kernel $(uname -r); cgroup $( [ -f /sys/fs/cgroup/cgroup.controllers ] && echo "v2 ($(cat /sys/fs/cgroup/cgroup.controllers))" || echo v1)"
info "host nvidia-smi -L:"; nvidia-smi -L 2>&1 | indent
if ! grep -q nvidia-uvm /proc/devices && command -v nvidia-modprobe > /dev/null; then
  # CUDA needs /dev/nvidia-uvm; its module loads on first CUDA use, so load it now (the agent re-reads /proc/devices per launch).
  nvidia-modprobe -u -c=0 2>&1 | indent
fi
info "NVIDIA majors in /proc/devices: $(grep -i nvidia /proc/devices | tr '\n' ' ')"
info "host device nodes:"; ls -l /dev/nvidia* 2>&1 | indent

# --- the cluster --------------------------------------------------------------------------------------------
meso up --work_dir "$W/state" --port "$PORT" --launcher "$LAUNCHER" --isolation "$ISOLATION" > "$W/meso-up.log" 2>&1 &
UP_PID=$!
finish() {
  kill -TERM "$UP_PID" 2> /dev/null; wait "$UP_PID" 2> /dev/null
  [ -n "${OUT:-}" ] && cp "$W/meso-up.log" "$OUT/meso-up.log" 2> /dev/null
  echo "== $FAILS FAIL(s); logs in $W"
  exit "$FAILS"
}
for _ in $(seq 120); do grep -q 'meso is up' "$W/meso-up.log" && break; kill -0 "$UP_PID" 2> /dev/null || break; sleep 0.5; done
if ! grep -q 'meso is up' "$W/meso-up.log"; then
  fail "meso up did not start with gpu/nvidia:"; indent < "$W/meso-up.log"; finish
fi
AGENT=$(grep -o 'agent http://[0-9.:]*' "$W/meso-up.log" | head -1 | cut -d' ' -f2)
grep -E 'gpu\]|launcher' "$W/meso-up.log" | indent
pass "meso up started with --launcher $LAUNCHER --isolation ...,gpu/nvidia (agent $AGENT)"
sleep 2

# 1. The agent offers its GPU, with the model.
out=$(meso agent list --master "$M" 2>&1); echo "$out" | indent
if echo "$out" | grep -q "$EXPECT_MODEL"; then pass "meso agent list shows the $EXPECT_MODEL"; else fail "meso agent list does not show a $EXPECT_MODEL"; fi

# 2. A task with one GPU lists exactly that GPU.
out=$(meso task run --master "$M" --timeout 60 --mem 512 --gpus 1 -- nvidia-smi -L 2>&1); rc=$?
echo "$out" | indent
gpus=$(echo "$out" | grep -cE '^GPU [0-9]+:')
if [ "$rc" = 0 ] && [ "$gpus" = 1 ] && echo "$out" | grep -q "$EXPECT_MODEL"; then pass "meso task run --gpus 1 -- nvidia-smi -L lists one GPU, the $EXPECT_MODEL"
else fail "meso task run --gpus 1 -- nvidia-smi -L: exit $rc, $gpus GPU line(s)"; fi

# 3. What such a task sees (for the record).
out=$(meso task run --master "$M" --timeout 60 --mem 512 --gpus 1 -- sh -c 'ls -l /dev | grep nvidia; env | grep -E "VISIBLE_DEVICES|^LD_LIBRARY_PATH|^PATH"; grep -E "^0::|devices" /proc/self/cgroup' 2>&1)
info "inside a --gpus 1 task:"; echo "$out" | indent

# 4. CUDA inside a GPU task counts one device (PyTorch from the host image, seen through the read-only host root).
PY=$(command -v python3)
if [ -n "$PY" ] && "$PY" -c 'import torch' 2> /dev/null; then
  out=$(meso task run --master "$M" --timeout 120 --mem 8192 --cpus 2 --gpus 1 -- "$PY" -c 'import torch; print("cuda_devices", torch.cuda.device_count(), torch.cuda.get_device_name(0)); x = torch.ones(1024, device="cuda"); print("sum", int(x.sum()))' 2>&1); rc=$?
  echo "$out" | tail -5 | indent
  if [ "$rc" = 0 ] && echo "$out" | grep -q 'cuda_devices 1 ' && echo "$out" | grep -q 'sum 1024'; then pass "CUDA in a --gpus 1 task sees one device and runs on it"
  else fail "CUDA in a --gpus 1 task (exit $rc)"; fi
else
  info "no python3 with torch: CUDA check skipped"
fi

# 5. A task without GPUs on the GPU agent sees no GPU.
out=$(meso task run --master "$M" --timeout 60 --mem 512 --gpus 0 -- sh -c "echo nodes=\$(ls /dev | grep -c nvidia); $NV_BIN/nvidia-smi -L; echo smi_exit=\$?" 2>&1); rc=$?
echo "$out" | indent
if echo "$out" | grep -q 'nodes=0' && ! echo "$out" | grep -qE '^GPU [0-9]+:' && echo "$out" | grep -qE 'smi_exit=[1-9]'; then
  pass "a task without GPUs (--gpus 0) has no NVIDIA device node and nvidia-smi finds no GPU"
else fail "a task without GPUs saw a GPU (or could not run: exit $rc)"; fi

# 6. A framework without GPU_RESOURCES (plain `meso task run`) is never offered the GPU agent.
out=$(meso task run --master "$M" --timeout 8 -- nvidia-smi -L 2>&1); rc=$?
echo "$out" | indent
if [ "$rc" = 125 ] && ! echo "$out" | grep -qE '^GPU [0-9]+:'; then pass "meso task run without --gpus (no GPU_RESOURCES) got no offer from the GPU agent (exit 125)"
else fail "meso task run without --gpus: exit $rc (expected 125: no offer)"; fi

# 7. The same at the API: SUBSCRIBE without GPU_RESOURCES gets no OFFERS; with it, an offer holding the GPU.
out=$(python3 "$ROOT/test/gpu/offer-gating.py" "$M" 5 2>&1); echo "$out" | indent
if echo "$out" | grep -q '"plain_offers": 0,' && echo "$out" | grep -qE '"gpu_offers": [1-9]' && ! echo "$out" | grep -q '"gpu_offer_gpus": 0'; then
  pass "SUBSCRIBE without GPU_RESOURCES: no offer; with GPU_RESOURCES: an offer with gpus"
else fail "offer gating: $out"; fi

# 8. GPU usage in /monitor/statistics while a GPU task runs.
# (No argument after -- may equal an earlier flag value: the CLI's parser then drops the one before it.)
id=$(meso task run --master "$M" --timeout 60 --mem 512 --gpus 1 --detach --name gpu-stats -- sleep 45 2>&1)
sleep 3
out=$(python3 - "$AGENT" "$id" <<'EOF'
import json, sys, urllib.request
stats = json.load(urllib.request.urlopen(sys.argv[1] + "/monitor/statistics", timeout=10))
mine = [s["statistics"] for s in stats if s["executor_id"] == sys.argv[2]]
print(json.dumps({k: v for k, v in (mine[0] if mine else {}).items() if k.startswith("gpus_")}))
EOF
)
echo "$out" | indent
if echo "$out" | grep -q '"gpus_memory_total_bytes": [1-9]'; then pass "/monitor/statistics has the task's GPU utilisation and memory"
else fail "/monitor/statistics has no GPU figures for $id"; fi
meso task kill --master "$M" gpu-stats > /dev/null 2>&1

finish

#!/usr/bin/env bash
# Fills .devcarry/ (ignored by git) with what test/gpu/device-check.sh needs on the GPU machine, which has no crun,
# no conmon and no network:
#   .devcarry/meso.xz              dist/meso, xz-compressed (~45 MB of the device tool's 64 MiB carry limit)
#   .devcarry/oci/libexec/         Debian 12's crun and conmon, as installed here (apt-get install crun conmon)
#   .devcarry/oci/lib/             their shared libraries except glibc's own (the target's glibc is newer)
#   .devcarry/oci/bin/{crun,conmon} wrappers that run them with that LD_LIBRARY_PATH; put this dir first on PATH
# Usage: npm run build (once, for dist/meso) && bash test/gpu/prepare-carry.sh [MESO_BINARY]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CARRY="$ROOT/.devcarry"
BIN=${1:-$ROOT/dist/meso}

[ -x "$BIN" ] || { echo "error: $BIN is missing; build it first (npm run build)" >&2; exit 1; }
git -C "$ROOT" check-ignore -q "$CARRY/meso.xz" || { echo "error: .devcarry/ is not ignored by git; add it to .gitignore" >&2; exit 1; }
mkdir -p "$CARRY/oci/bin" "$CARRY/oci/libexec" "$CARRY/oci/lib"

if [ ! -f "$CARRY/meso.xz" ] || [ "$BIN" -nt "$CARRY/meso.xz" ]; then
  echo "compressing $BIN (a minute or two)"
  xz -T0 -9 -c "$BIN" > "$CARRY/meso.xz.tmp" && mv "$CARRY/meso.xz.tmp" "$CARRY/meso.xz"
fi

for tool in crun conmon; do
  src=$(command -v "$tool") || { echo "error: $tool is not installed here (apt-get install crun conmon)" >&2; exit 1; }
  cp -L "$src" "$CARRY/oci/libexec/$tool"
  # Every resolved dependency except the C library itself and the dynamic loader.
  ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' \
    | grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv)\.so|/ld-linux' \
    | while read -r lib; do cp -L "$lib" "$CARRY/oci/lib/"; done
  cat > "$CARRY/oci/bin/$tool" <<EOF
#!/bin/sh
# Debian 12's $tool with its own shared libraries (prepared by test/gpu/prepare-carry.sh).
here=\$(dirname "\$(readlink -f "\$0")")/..
LD_LIBRARY_PATH="\$here/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/libexec/$tool" "\$@"
EOF
  chmod +x "$CARRY/oci/bin/$tool"
done

# The wrappers must run on their own libraries alone: check with an environment holding nothing else.
env -i PATH="$CARRY/oci/bin:/usr/bin:/bin" crun --version | head -1
env -i PATH="$CARRY/oci/bin:/usr/bin:/bin" conmon --version | head -1
du -sh "$CARRY"
echo "ready: run test/gpu/device-check.sh with the device tool, carry [\".devcarry\"] (see the script's header)"

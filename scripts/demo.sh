#!/usr/bin/env bash
# Set up everything, then run a pod on the embedded default image under every stage1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
set -x
bin/podstage run podstage.io/default -- sh -c 'echo "hello from pod $(hostname): uid=$(id -u) pid=$$"; exit 7' || echo "pod exited with $?"
bin/podstage run --stage1-name=fly podstage.io/default -- sh -c 'echo "fly: pid=$$ in the host pid namespace"; exit 3' || echo "pod exited with $?"
bin/podstage run --stage1-name=runc podstage.io/default -- sh -c 'echo "runc: $(hostname), pid $$ in its own pid namespace, $(ip -o -4 addr show eth0 | cut -d" " -f7) on the default network"'
bin/podstage run --stage1-name=kvm podstage.io/default -- sh -c 'echo "kvm: guest kernel $(uname -r), host kernel '"$(uname -r)"'"'
bin/podstage run --stage1-name=kvm --annotation=podstage.io/kvm-kernel=minimal podstage.io/default -- sh -c 'echo "kvm: minimal guest kernel $(uname -r)"'
bin/podstage list
bin/podstage gc

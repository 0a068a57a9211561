#!/usr/bin/env bash
# Installs what Streamflow needs, from the package registries only, idempotently:
#   - Debian packages: FFmpeg development libraries, clang/libclang, pkg-config, the ffmpeg CLI;
#   - npm packages pinned in package-lock.json: forge/anvil/cast, solc-js, OpenZeppelin;
#   - with --audit only (`make test`, `make audit`): PyPI packages pinned in audit/requirements.lock
#     (slither, halmos) into .venv;
#   - Rust: checks the toolchain (cargo, rustfmt, clippy) that the machine provides.
# `make demo` runs it without --audit. A second run only checks and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_AUDIT=0
for arg in "$@"; do
  case "$arg" in
    --audit) WITH_AUDIT=1 ;;
    *) echo "usage: $0 [--audit]" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

APT_PACKAGES=(
  pkg-config clang libclang-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev
  libavfilter-dev libavdevice-dev ffmpeg fontconfig fonts-dejavu-core
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages (a few minutes on a new machine): ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "Debian packages present"
fi

command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }
stamp=node_modules/.streamflow-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  log "installing npm tools (npm ci: forge, anvil, cast, solc-js, OpenZeppelin; about a minute)"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
else
  log "npm tools present"
fi

# Auditor tools (slither, halmos) in a project-local virtual environment, pinned by the lock file.
# Only `make test` and `make audit` use them.
venv_stamp=.venv/.streamflow-lock
if ((WITH_AUDIT == 0)); then
  :
elif [ ! -f "$venv_stamp" ] || ! cmp -s audit/requirements.lock "$venv_stamp"; then
  log "installing auditor tools into .venv (slither, halmos; a few minutes)"
  python3 -m venv .venv
  .venv/bin/pip install --disable-pip-version-check --progress-bar off -r audit/requirements.lock
  cp audit/requirements.lock "$venv_stamp"
else
  log "auditor tools present"
fi

# Real sample footage for the transcoder's tests and benchmark (git-ignored cache); only the
# test and audit side (`--audit`) needs it.
if ((WITH_AUDIT)); then
  tools/fetch-media.sh
fi

for tool in cargo rustfmt cargo-clippy; do
  command -v "$tool" >/dev/null || { echo "missing Rust tool: $tool" >&2; exit 1; }
done

log "forge $(node_modules/.bin/forge --version | head -n1 | awk '{print $3}'), $(tools/solc --version | tail -n1), $(cargo --version)"

#!/usr/bin/env bash
# Installs everything Streamflow needs, from the package registries only, idempotently:
#   - Debian packages: FFmpeg development libraries, clang/libclang, pkg-config, the ffmpeg CLI;
#   - npm packages pinned in package-lock.json: forge/anvil/cast, solc-js, OpenZeppelin;
#   - PyPI packages pinned in audit/requirements.lock (slither, halmos) into .venv;
#   - Rust: checks the toolchain (cargo, rustfmt, clippy) that the machine provides.
# A second run only checks and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

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
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }
stamp=node_modules/.streamflow-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  log "installing npm tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
else
  log "npm tools present"
fi

# Auditor tools (slither, halmos) in a project-local virtual environment, pinned by the lock file.
venv_stamp=.venv/.streamflow-lock
if [ ! -f "$venv_stamp" ] || ! cmp -s audit/requirements.lock "$venv_stamp"; then
  log "installing auditor tools into .venv (slither, halmos)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r audit/requirements.lock
  cp audit/requirements.lock "$venv_stamp"
else
  log "auditor tools present"
fi

# Real sample footage for the transcoder's tests and benchmark (git-ignored cache).
tools/fetch-media.sh

for tool in cargo rustfmt cargo-clippy; do
  command -v "$tool" >/dev/null || { echo "missing Rust tool: $tool" >&2; exit 1; }
done

log "forge $(node_modules/.bin/forge --version | head -n1 | awk '{print $3}'), $(tools/solc --version | tail -n1), $(cargo --version)"

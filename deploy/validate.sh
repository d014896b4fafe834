#!/usr/bin/env bash
# Validate Kubernetes manifests offline against the Kubernetes API schemas (kubernetes-validate from PyPI, which
# ships them), strictly: an unknown or misplaced field fails. Installs the validator into a venv under
# ${SCIMGATE_TOOLS:-<repo>/target/tools} when missing; with no file given, only installs it.
# Usage: deploy/validate.sh [FILE...]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tools="${SCIMGATE_TOOLS:-$repo/target/tools}"
venv="$tools/kubernetes-validate"
mkdir -p "$tools"
# A venv's scripts name its path, so it is built in place; the marker says the install finished.
if [ ! -e "$venv/.installed" ]; then
  (
    flock 9
    if [ ! -e "$venv/.installed" ]; then
      rm -rf "$venv"
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q kubernetes-validate==1.37.0 >&2
      touch "$venv/.installed"
    fi
  ) 9>"$tools/kubernetes-validate.lock"
fi
[ "$#" -eq 0 ] && exit 0
exec "$venv/bin/kubernetes-validate" --strict --no-warn "$@"

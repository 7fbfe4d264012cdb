#!/usr/bin/env bash
# CI: make a Docker engine answer and build the grading image the offline way (debootstrap + wheels).
#
#   bash .ci/docker-setup.sh            # from anywhere; PYTHON=... picks the interpreter (default: .venv's)
#
# Installs docker.io and debootstrap if missing, starts dockerd in the background unless an engine
# already answers, waits for it, then runs `grade image build --offline`, which reuses
# the image when its tag exists and the wheels and Debian base cached in ~/.cache/ml-grader.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
    echo "docker-setup: installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" ca-certificates iptables tini >/dev/null
fi

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! engine_answers; then
    log=${DOCKERD_LOG:-/tmp/dockerd.log}
    echo "docker-setup: starting dockerd (log: $log)"
    setsid dockerd </dev/null >"$log" 2>&1 &
    for _ in $(seq 60); do
        if [[ -S /var/run/docker.sock ]] && engine_answers; then break; fi
        sleep 1
    done
    if ! engine_answers; then
        echo "docker-setup: dockerd did not answer within 60 s; the end of its log:" >&2
        tail -n 30 "$log" >&2 || true
        exit 1
    fi
fi
echo "docker-setup: engine $(docker version --format '{{.Server.Version}}') answers"

python=${PYTHON:-}
if [[ -z $python ]]; then
    if [[ -x .venv/bin/python ]]; then python=.venv/bin/python; else python=python3; fi
fi
started=$(date +%s)
"$python" -m harness.host.cli image build --offline
echo "docker-setup: image $("$python" -m harness.host.cli image tag) ready in $(($(date +%s) - started)) s"

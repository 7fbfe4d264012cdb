#!/bin/sh
# Install the grading packages and the candidate user into the image; harness.host.image runs this
# in a build container (no network) with the wheel folder at /wheels and this folder at /build.
set -eu
python3 -m venv /opt/venv
/opt/venv/bin/python -m pip install --no-index --find-links /wheels --no-cache-dir \
    --disable-pip-version-check --quiet -r /build/requirements.txt
/opt/venv/bin/python -m pip freeze --all > /opt/venv/installed-packages.txt
# The submission worker runs as this user (the grader process stays root, with almost no
# capabilities): no password, no shell, no home of its own; /tmp is its scratch space.
useradd --uid 1001 --user-group --no-create-home --home-dir /tmp --shell /usr/sbin/nologin candidate
mkdir -p /opt/grader
/opt/venv/bin/python -c "import tensorflow, keras, gensim, surprise, numpy, scipy, pytest; print('imports ok: tensorflow', tensorflow.__version__)"
rm -rf /root/.cache /tmp/* /var/tmp/*

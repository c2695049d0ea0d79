#!/usr/bin/env bash
# Create benchmarks/.peer-venv with the peer library (sortition-algorithms, GPL).
#
# The peer lives in its own virtual environment on purpose: it is GPL-licensed, so our
# code never imports it; benchmarks/peer_driver.py runs inside this venv as a separate
# process and talks to the benchmark only through files and JSON on stdout.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${PEER_VENV:-$HERE/.peer-venv}"
PYTHON="${PYTHON:-python3}"
# The issue measured 0.12; pin the minor series and let pip pick the newest patch.
PEER_SPEC="${PEER_SPEC:-sortition-algorithms==0.12.*}"

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# highspy: the free MILP/LP solver the peer uses when Gurobi is absent (it is usually a
# dependency already; listing it keeps the setup explicit).
"$VENV/bin/python" -m pip install --quiet "$PEER_SPEC" highspy
"$VENV/bin/python" - <<'PY'
from importlib.metadata import version
print("sortition-algorithms", version("sortition-algorithms"), "highspy", version("highspy"))
PY

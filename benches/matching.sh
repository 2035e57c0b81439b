#!/usr/bin/env bash
# Benchmark of `mentorbot match` (issue 4) on the standard generated programs.
#
#   benches/matching.sh [MENTORBOT_BINARY] [SHARED_DIR]
#
# MENTORBOT_BINARY defaults to target/release/mentorbot, SHARED_DIR to ../shared. For each of
# the 1,000, 5,000 and 20,000-mentee programs (gen_program.py --seed 42), it times
# `mentorbot match --input P --output R` with /usr/bin/time -v (wall time, peak RSS), checks R
# with check.py against the reference optimum in optima/, and prints a summary table.
#
# Environment: BENCH_DATA (default /tmp/bench-data) for the generated files, BENCH_VENV
# (default /tmp/bench-venv) for the Python venv (created when missing, as the bench README
# says), BENCH_SIZES (default "1000 5000 20000").
#
# Not part of the test suite: it takes about a minute and needs Python 3.11 with numpy and
# scipy from PyPI. Exit status 1 when a check fails.
set -euo pipefail

BIN=${1:-target/release/mentorbot}
SHARED=${2:-../shared}
B="$SHARED/bench/matching"
D=${BENCH_DATA:-/tmp/bench-data}
VENV=${BENCH_VENV:-/tmp/bench-venv}
SIZES=${BENCH_SIZES:-"1000 5000 20000"}
PY="$VENV/bin/python"

if [ ! -x "$BIN" ]; then
    echo "matching.sh: no binary at $BIN (build it with: cargo build --release)" >&2
    exit 2
fi
if [ ! -f "$B/check.py" ]; then
    echo "matching.sh: no benchmark scripts in $B" >&2
    exit 2
fi
if [ ! -x /usr/bin/time ]; then
    echo "matching.sh: /usr/bin/time is missing (apt-get install time)" >&2
    exit 2
fi
if [ ! -x "$PY" ] || ! "$PY" -c "import numpy, scipy" 2>/dev/null; then
    echo "matching.sh: setting up $VENV" >&2
    python3.11 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet numpy==2.4.6 scipy==1.17.1 tzdata==2026.6
fi
mkdir -p "$D"

declare -A SHA=(
    [1000]=b7ea4454d8f04ecd7583769601c53a5d14b762cb779bab8c9cf5716c491b8d0a
    [5000]=1713cc792c6095fe5d6f4a1e459a134868d4ce8c020c6556e0b63a45cc766ebd
    [20000]=b299e1babd42402addf6819a94a8182b3850a91177de22cda2f9b66f7e19fdd7
)

rows=()
status=0
for n in $SIZES; do
    prog="$D/program_$n.json"
    if [ ! -f "$prog" ] || { [ -n "${SHA[$n]:-}" ] && [ "$(sha256sum "$prog" | cut -d' ' -f1)" != "${SHA[$n]}" ]; }; then
        "$PY" "$B/gen_program.py" --mentees "$n" --seed 42 -o "$prog" >&2
    fi
    res="$D/mb_$n.json"
    tlog="$D/mb_$n.time"
    rm -f "$res"
    if ! /usr/bin/time -v -o "$tlog" "$BIN" match --input "$prog" --output "$res"; then
        echo "matching.sh: match failed on $prog" >&2
        status=1
    fi
    wall=$(awk -F': ' '/Elapsed \(wall clock\) time/ {print $2}' "$tlog")
    # h:mm:ss or m:ss.cc -> seconds
    secs=$(echo "$wall" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tlog")
    rss_mb=$((rss_kb / 1024))
    opt="$B/optima/program_$n.summary.json"
    if [ -f "$opt" ]; then
        check=$("$PY" "$B/check.py" "$prog" "$res" --optimum "$opt" 2>/dev/null | tail -1) || status=1
    else
        check=$("$PY" "$B/check.py" "$prog" "$res" 2>/dev/null | tail -1) || status=1
    fi
    rows+=("$(printf '%8s | %8.2f | %9s | %s' "$n" "$secs" "$rss_mb" "$check")")
done

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo
echo "mentorbot match benchmark: $cpu, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
printf '%8s | %8s | %9s | %s\n' "mentees" "wall s" "peak MiB" "check.py"
printf '%s\n' "---------+----------+-----------+--------------------------------------------------"
for r in "${rows[@]}"; do
    echo "$r"
done
exit $status

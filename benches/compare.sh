#!/usr/bin/env bash
# Whole-process benchmarks of omero-iis beside the well-formedness checks admins
# use today (xmllint --stream, xmllint, Python's ElementTree), on the same
# files in the same run. Prints Markdown tables for BENCHMARKS.md.
#
# Needs: hyperfine, xmllint (libxml2-utils), python3, GNU time (/usr/bin/time).
#   sudo apt-get install -y hyperfine libxml2-utils time
# Usage: benches/compare.sh [SIZES_MB...]   (default: 1 10 50 100)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine xmllint python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing $tool: sudo apt-get install -y hyperfine libxml2-utils time" >&2; exit 2; }
done
sizes=("${@:-1 10 50 100}")
[ $# -eq 0 ] && sizes=(1 10 50 100)
work=target/bench
mkdir -p "$work"
# The binary measured is the one to install: scripts/build-release (static-pie
# on Linux with glibc). `cargo build --release`'s dynamically linked binary is
# measured beside it in the start-up rows, to show what the linking is worth.
bin=$(scripts/build-release --quiet | tail -1)
case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac
cargo build --release --locked --quiet
dynamic=${CARGO_TARGET_DIR:-target}/release/omero-iis
case "$dynamic" in /*) ;; *) dynamic=$PWD/$dynamic ;; esac

echo "### Machine"
echo
echo "- $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "- $(uname -sr); $("$bin" --version); $(xmllint --version 2>&1 | head -1); $(python3 --version)"
echo

python3 benches/all_properties.py "$work/config.xml" 2>/dev/null
for mb in "${sizes[@]}"; do
    [ -f "$work/applicationHost-$mb.config" ] || python3 benches/gen_apphost.py "$mb" "$work/applicationHost-$mb.config" 2>/dev/null
done
rm -rf "$work/out" && "$bin" gen all examples/config.xml -o "$work/out" >/dev/null 2>&1
python3 benches/gen_script.py "$work/bench.cmd" 1000 2>/dev/null
# The builds and inputs above leave tens of MB unwritten for up to 30 s. Write
# them now, so that the first rows do not wait for them (`gen` would also take
# its busy-disk path then: an fsync per file, see src/app/output.rs).
sync

run() { # name, command[, prepare]: mean and sd in ms, and peak memory in MB
    local prepare=${3:-true}
    hyperfine -N -i --warmup 2 --min-runs "${RUNS:-5}" --style none --prepare "$prepare" --export-json "$work/h.json" "$2" >/dev/null 2>&1 || true
    local stats mem
    stats=$(python3 -c "import json;r=json.load(open('$work/h.json'))['results'][0];print(f\"{r['mean']*1000:.1f} ± {r['stddev']*1000:.1f}\" + (f\" | {r['median']*1000:.1f}\" if '${MEDIAN:-}' else ''))")
    sh -c "$prepare" >/dev/null 2>&1
    /usr/bin/time -f '%M' -o "$work/mem" sh -c "exec $2" >/dev/null 2>&1 || true
    mem=$(tail -1 "$work/mem")
    echo "| $1 | $stats | $(python3 -c "print(f'{$mem/1024:.1f}')") |"
}

sized_row() { # label, MB, name, command: a row with the time per MB
    local line mean mem per
    line=$(run "$3" "$4")
    mean=$(echo "$line" | cut -d'|' -f3 | awk '{print $1}')
    mem=$(echo "$line" | cut -d'|' -f4 | tr -d ' ')
    per=$(python3 -c "print(f'{$mean/$2:.1f}')")
    echo "| $1 | $3 | $(echo "$line" | cut -d'|' -f3 | sed 's/^ //;s/ $//') | $per | $mem |"
}

echo "### Commands"
echo
# The ms-scale rows also give the median: on this machine a few runs in a
# hundred take two or three times as long and pull the mean up.
echo "| run | wall ms (mean ± sd) | median ms | peak MB |"
echo "|---|---|---|---|"
export MEDIAN=1
run "\`/bin/true\` (this machine's process start, for scale)" "/bin/true"
run "\`omero-iis --version\`" "$bin --version"
run "\`omero-iis --version\`, \`cargo build --release\` (dynamically linked)" "$dynamic --version"
run "\`gen all\` into a new folder (example config.xml, 8 files written and synced)" "$bin gen all examples/config.xml -o $work/gen" "rm -rf $work/gen"
run "\`gen all\` into a new folder, \`cargo build --release\` (dynamically linked)" "$dynamic gen all examples/config.xml -o $work/gen" "rm -rf $work/gen"
run "\`gen all --force\` over 8 files that each differ (all replaced)" "$bin gen all examples/config.xml -o $work/gen --force" "find $work/gen -type f -exec sh -c 'echo >> \"\$1\"' _ {} \;"
run "\`gen all --force\` again (nothing changes, nothing written)" "$bin gen all examples/config.xml -o $work/gen --force"
run "\`gen all --stdout\` (the same, printed)" "$bin gen all examples/config.xml --stdout"
run "\`validate settings\` (config.xml, all 122 properties)" "$bin validate settings $work/config.xml"
run "\`check\` on the \`gen all\` output (7 files)" "$bin check $work/out"
run "\`review\` of the generated install.cmd (built-in IIS 10)" "$bin review $work/out/install.cmd"
run "\`review\` of the generated install.ps1 (built-in IIS 10)" "$bin review $work/out/install.ps1"
if [ -f "$work/applicationHost-50.config" ]; then
    # The document model alone: a script that changes nothing, so only the
    # loaded configuration is held.
    printf '@echo off\r\n' > "$work/empty.cmd"
    run "\`review\` of a script that changes nothing against the 50 MB file (the model alone)" "$bin review $work/empty.cmd --apphost $work/applicationHost-50.config --format json"
    run "\`review\` of 1,000 appcmd commands against the 50 MB file" "$bin review $work/bench.cmd --apphost $work/applicationHost-50.config --format json"
fi
unset MEDIAN
echo

# The large files: more runs, as this machine's timings swing.
RUNS=10
echo "### check on applicationHost.config, beside the baselines"
echo
echo "| MB | tool | wall ms (mean ± sd) | ms per MB | peak MB |"
echo "|---|---|---|---|---|"
for mb in "${sizes[@]}"; do
    f="$work/applicationHost-$mb.config"
    for pair in \
        "omero-iis check|$bin check $f" \
        "xmllint --noout --stream|xmllint --noout --stream $f" \
        "xmllint --noout|xmllint --noout $f" \
        "python3 ElementTree.parse|python3 -c \"import xml.etree.ElementTree as E; E.parse('$f')\""; do
        sized_row "$mb" "$mb" "${pair%%|*}" "${pair#*|}"
    done
done
echo

# hyperfine runs all of one command, then all of the next; this machine's
# speed drifts within minutes. Taken in turn, the two compare fairly.
echo "### check against xmllint --stream, in turn (15 pairs)"
echo
echo "| MB | tool | median ms | quartiles ms | faster in | median time ratio in a pair |"
echo "|---|---|---|---|---|---|"
for mb in "${sizes[@]}"; do
    [ "$mb" -ge 50 ] || continue
    f="$work/applicationHost-$mb.config"
    python3 benches/interleave.py 15 "omero-iis check" "$bin check $f" \
        "xmllint --noout --stream" "xmllint --noout --stream $f" | sed "s/^| /| $mb | /"
done
echo

# Memory stays flat beyond the scaling sizes, and a duplicate costs a second
# pass (see src/check/screen.rs). BIG_MB=0 skips this table.
big=${BIG_MB:-400}
if [ "$big" != 0 ]; then
    f="$work/applicationHost-$big.config"
    [ -f "$f" ] || python3 benches/gen_apphost.py "$big" "$f" 2>/dev/null
    mkdir -p "$work/duplicate"
    d="$work/duplicate/applicationHost.config"
    # pool00003 becomes a second POOL00007: one duplicate key, near the start.
    [ -f "$d" ] || sed 's|<add name="pool00003" |<add name="POOL00007" |' "$work/applicationHost-100.config" > "$d"
    echo "### check beyond the scaling table"
    echo
    echo "| file | tool | wall ms (mean ± sd) | ms per MB | peak MB |"
    echo "|---|---|---|---|---|"
    for pair in \
        "$big MB|$big|omero-iis check|$bin check $f" \
        "$big MB|$big|xmllint --noout --stream|xmllint --noout --stream $f" \
        "100 MB, one duplicate key (two passes)|100|omero-iis check|$bin check $d"; do
        label=${pair%%|*}; rest=${pair#*|}; mb=${rest%%|*}; rest=${rest#*|}
        sized_row "$label" "$mb" "${rest%%|*}" "${rest#*|}"
    done
fi

# Every shape of benches/gen_shapes.py (SHAPE_MB sizes, default "10 50"), each
# in turn with xmllint --noout --stream and with xmllint --noout (PAIRS pairs,
# default 9), and omero-iis check's peak memory. The line-ending and BOM
# variants run at the first size. SHAPE_MB=0 skips this table.
read -ra shape_sizes <<< "${SHAPE_MB:-10 50}"
if [ "${shape_sizes[0]}" != 0 ]; then
    pairs=${PAIRS:-9}
    echo "### check on every shape, in turn with xmllint ($pairs pairs each)"
    echo
    echo "| shape | MB | variant | omero-iis peak MB | tool | median ms | quartiles ms | faster in | median time ratio in a pair |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for shape in $(python3 benches/gen_shapes.py --list); do
        kind=()
        case $shape in rewrite-webconfig | long-attributes) kind=(--kind web.config) ;; esac
        for mb in "${shape_sizes[@]}"; do
            variants=("")
            [ "$mb" = "${shape_sizes[0]}" ] && variants=("" "--lf" "--bom")
            for variant in "${variants[@]}"; do
                f="$work/shape-$shape-$mb${variant/--/-}.config"
                # shellcheck disable=SC2086 # the variant is one flag or none
                [ -f "$f" ] || python3 benches/gen_shapes.py "$shape" "$mb" "$f" $variant 2>/dev/null
                /usr/bin/time -f '%M' -o "$work/mem" "$bin" check "${kind[@]}" "$f" >/dev/null 2>&1 || true
                mem=$(python3 -c "print(f'{$(tail -1 "$work/mem")/1024:.1f}')")
                label="| $shape | $mb | ${variant:-CRLF} | $mem | "
                python3 benches/interleave.py "$pairs" "omero-iis check" "$bin check ${kind[*]} $f" \
                    "xmllint --noout --stream" "xmllint --noout --stream $f" | sed "s/^| /$label/"
                python3 benches/interleave.py "$pairs" "omero-iis check" "$bin check ${kind[*]} $f" \
                    "xmllint --noout" "xmllint --noout $f" | sed -n "2s/^| /$label/p"
            done
        done
    done
    echo
fi

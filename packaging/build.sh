#!/usr/bin/env bash
# Build the desktop bundle dist/archcolour/ (PyInstaller onedir: archcolour, archcolour-gui and the
# hidden archcolour-gui-smoke sharing one _internal/ folder), then print its size and the build time.
#
#   packaging/build.sh [--clean] [--smoke] [--models DIR]
#
#   --clean        discard PyInstaller's cache (build/pyinstaller) and the old dist/archcolour first
#   --smoke        run packaging/smoke_test.py on the new bundle afterwards
#   --models DIR   bundle this models folder instead of models/ (sets ARCHCOLOUR_BUNDLE_MODELS)
#
# Environment: PYTHON (default: python), NICE (niceness, default 10), LOG_LEVEL (PyInstaller's,
# default WARN), ARCHCOLOUR_BUNDLE_C2PA=1 to include c2pa-python for C2PA signing (+53 MB).
# Needs the project's environment with PyInstaller: pip install -e ".[package]".
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
NICE=${NICE:-10}
LOG_LEVEL=${LOG_LEVEL:-WARN}
TARGET_MB=900
clean=() smoke=0
while [ $# -gt 0 ]; do
    case "$1" in
        --clean) clean=(--clean); rm -rf dist/archcolour ;;
        --smoke) smoke=1 ;;
        --models) export ARCHCOLOUR_BUNDLE_MODELS="$(cd "$2" && pwd)"; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

start=$(date +%s.%N)
nice -n "$NICE" "$PYTHON" -m PyInstaller --noconfirm --log-level "$LOG_LEVEL" ${clean[@]+"${clean[@]}"} \
    --distpath dist --workpath build/pyinstaller packaging/archcolour.spec
end=$(date +%s.%N)

bundle=dist/archcolour
kib=$(du -sk "$bundle" | cut -f1)
mib=$(( (kib + 1023) / 1024 ))
files=$(find "$bundle" -type f | wc -l)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
echo
echo "Largest parts of $bundle/_internal:"
{ du -sk "$bundle"/_internal/* | sort -rn | awk 'NR <= 8 { printf "  %6.1f MiB  %s\n", $1 / 1024, $2 }'; } || true
echo
echo "bundle: $bundle  $mib MiB on disk ($(du -sh --apparent-size "$bundle" | cut -f1) apparent), $files files; build time ${secs} s"
if [ "$mib" -ge "$TARGET_MB" ]; then
    echo "WARNING: the bundle is over the ${TARGET_MB} MiB target" >&2
fi
echo "run: $bundle/archcolour --help   |   $bundle/archcolour-gui"

if [ "$smoke" = 1 ]; then
    "$PYTHON" packaging/smoke_test.py "$bundle"
fi

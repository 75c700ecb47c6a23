#!/usr/bin/env bash
# Install a built bundle for the current user (no root): the folder, the two commands, the desktop
# entry and the icon, following the XDG layout under a prefix (default ~/.local).
#
#   packaging/install_desktop.sh [--prefix DIR] [--bundle dist/archcolour]
#   packaging/install_desktop.sh --uninstall [--prefix DIR]
#
#   DIR/opt/archcolour/                         the bundle (replaced on reinstall)
#   DIR/bin/archcolour, DIR/bin/archcolour-gui  symbolic links into it
#   DIR/share/applications/archcolour.desktop   Exec= set to the installed archcolour-gui
#   DIR/share/icons/hicolor/{scalable,256x256}/apps/archcolour.{svg,png}
set -euo pipefail
cd "$(dirname "$0")/.."

prefix="$HOME/.local" bundle=dist/archcolour uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift ;;
        --bundle) bundle="$2"; shift ;;
        --uninstall) uninstall=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "install_desktop.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
opt="$prefix/opt/archcolour"
apps="$prefix/share/applications"
icons="$prefix/share/icons/hicolor"

if [ "$uninstall" = 1 ]; then
    rm -rf "$opt"
    rm -f "$prefix/bin/archcolour" "$prefix/bin/archcolour-gui" "$apps/archcolour.desktop" \
          "$icons/scalable/apps/archcolour.svg" "$icons/256x256/apps/archcolour.png"
    echo "removed archcolour from $prefix"
    exit 0
fi

if [ ! -x "$bundle/archcolour-gui" ] || [ ! -d "$bundle/_internal" ]; then
    echo "install_desktop.sh: no built bundle at $bundle (run packaging/build.sh first)" >&2
    exit 2
fi
mkdir -p "$prefix/opt" "$prefix/bin" "$apps" "$icons/scalable/apps" "$icons/256x256/apps"
rm -rf "$opt.new"
cp -a "$bundle" "$opt.new"
rm -rf "$opt"
mv "$opt.new" "$opt"
ln -sfn "$opt/archcolour" "$prefix/bin/archcolour"
ln -sfn "$opt/archcolour-gui" "$prefix/bin/archcolour-gui"
res="$opt/_internal/resources"
sed -e "s|^Exec=archcolour-gui|Exec=\"$opt/archcolour-gui\"|" -e "s|^TryExec=archcolour-gui|TryExec=$opt/archcolour-gui|" \
    "$res/archcolour.desktop" > "$apps/archcolour.desktop"
cp "$res/icons/archcolour.svg" "$icons/scalable/apps/archcolour.svg"
cp "$res/icons/archcolour.png" "$icons/256x256/apps/archcolour.png"
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q "$apps" || true; fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t "$icons" || true; fi
echo "installed archcolour into $opt"
echo "commands: $prefix/bin/archcolour, $prefix/bin/archcolour-gui (put $prefix/bin on PATH if it is not)"
echo "menu entry: $apps/archcolour.desktop"

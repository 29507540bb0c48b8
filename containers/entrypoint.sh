#!/bin/sh
# Entry point of the deepfake image: runs deepfake offline (-o) by default, since Safe Havens and
# compute nodes have no network. DEEPFAKE_ONLINE=1 lets `train`/`prepare` download where a network
# exists. Other subcommands (qlayer, compare) and runs that already say -o are passed unchanged.
set -eu
offline=no
case "${1:-}" in
    train|prepare|-*) offline=yes ;;
esac
[ "${DEEPFAKE_ONLINE:-0}" = 1 ] && offline=no
for arg in "$@"; do
    case "$arg" in
        --offline) offline=no ;;
        --*) ;;
        -*o*) offline=no ;;   # -o, or a short-flag group such as -oi
    esac
done
if [ "$offline" = yes ]; then exec /usr/local/bin/deepfake "$@" -o; fi
exec /usr/local/bin/deepfake "$@"

# Sourced by run.sh and crash.sh: sets `root`, `binary` (tandem) and `homeserver` (the flood
# homeserver), from TANDEM_BINARY / HOMESERVER_BINARY or the Release build, and stops when one
# of them is not built.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
binary=${TANDEM_BINARY:-$root/build/release/bot/app/tandem}
homeserver=${HOMESERVER_BINARY:-$root/build/release/bench/matrix_flood/tandem_matrix_flood_homeserver}
for program in "$binary" "$homeserver"; do
  [[ -x "$program" ]] || { echo "no $program: build the release preset first" >&2; exit 1; }
done

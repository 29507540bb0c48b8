#!/usr/bin/env bash
# Issue 11's sharded goal, side by side in one interleaved run: AngleEmbedding + L
# StronglyEntangling layers on one 2^N state, forward and adjoint gradient (its own forward
# included), on ONE process with T threads (the single-process engine, `bench quantum layer`)
# against the same circuit's state sharded over R ranks x 1 thread (`mpirun -np R bench sharded
# --gradient-layers L`). Both keep their states across repeats (a training layer's steady
# state). Per round and size it runs the two back to back; prints the medians over the rounds
# and `ratio at N qubits R ranks: sharded / one process = X`, the median of the per-round
# ratios with their range (at most 1.3: the issue's goal).
#
# usage: benchmarks/sharded_vs_one_process.sh BENCH [QUBITS=22,24] [RANKS=2] [ROUNDS=3] [LAYERS=1] [THREADS=2]
set -euo pipefail
bench=${1:?usage: $0 BENCH [QUBITS] [RANKS] [ROUNDS] [LAYERS] [THREADS]}
qubits=${2:-22,24}; ranks=${3:-2}; rounds=${4:-3}; layers=${5:-1}; threads=${6:-2}
[ -x "$bench" ] || { echo "no bench executable at $bench: build it first (make build)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "mpirun not found: install libopenmpi-dev (openmpi-bin)" >&2; exit 2; }
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
root=(); [ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for ((round = 1; round <= rounds; round++)); do
  for n in ${qubits//,/ }; do
    "$bench" quantum layer --threads "$threads" --repeats 1 --qubits "$n" --layers "$layers" --blocked-only > "$tmp/one"
    echo "$(value "layer_${n}q_blocked_fwd_s" "$tmp/one") $(value "layer_${n}q_blocked_grad_s" "$tmp/one")" >> "$tmp/one-$n"
    mpirun "${root[@]}" --oversubscribe --bind-to none -np "$ranks" "$bench" sharded --qubits "$n" --gates 8 --threads 1 \
      --gradient-layers "$layers" --no-check > "$tmp/sh"
    echo "$(value sharded_forward_seconds "$tmp/sh") $(value sharded_adjoint_seconds "$tmp/sh")" >> "$tmp/sh-$n"
    echo "round $round, $n qubits: one process $(cat "$tmp/one-$n" | tail -1), $ranks ranks $(tail -1 "$tmp/sh-$n") (forward, gradient s)"
  done
done
for n in ${qubits//,/ }; do
  of=$(awk '{ print $1 }' "$tmp/one-$n" | median); og=$(awk '{ print $2 }' "$tmp/one-$n" | median)
  sf=$(awk '{ print $1 }' "$tmp/sh-$n" | median); sg=$(awk '{ print $2 }' "$tmp/sh-$n" | median)
  # Per-round ratios (the two ran back to back), then their median and range.
  paste "$tmp/sh-$n" "$tmp/one-$n" | awk '{ print $1 / $3, $2 / $4 }' > "$tmp/ratio-$n"
  rf=$(awk '{ print $1 }' "$tmp/ratio-$n" | median); rg=$(awk '{ print $2 }' "$tmp/ratio-$n" | median)
  range() { awk -v c="$1" 'NR == 1 || $c < lo { lo = $c } NR == 1 || $c > hi { hi = $c } END { printf "%.2f-%.2f", lo, hi }' "$tmp/ratio-$n"; }
  echo "$n qubits, $layers layer(s), median of $rounds: one process x $threads threads forward $of s, gradient $og s; $ranks ranks x 1 thread forward $sf s, gradient $sg s"
  printf 'ratio at %s qubits %s ranks: sharded / one process = %.2f (%s) forward, %.2f (%s) gradient\n' "$n" "$ranks" "$rf" "$(range 1)" "$rg" "$(range 2)"
done

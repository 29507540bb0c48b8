#!/usr/bin/env python3
"""Peer benchmark: one 24-qubit state, seconds per RX and per CNOT gate, and per
StronglyEntangling layer, against qulacs (C++ statevector, multi-threaded by OMP_NUM_THREADS).
Swift keys: rx_24q_s, cnot_24q_s, layer_24q_s (and layer_24q_passes: passes over the state after
fusion, versus layer_24q_gates gates).

    OMP_NUM_THREADS=2 /work/venv-quantum/bin/python benchmarks/quantum_gates.py --swift-cmd "<driver> gate"
"""
import numpy as np

from quantum_common import median_of, parser, report, swift_figures


def main():
    p = parser(__doc__)
    p.add_argument("--qubits", type=int, default=24)
    args = p.parse_args()
    from qulacs import QuantumCircuit, QuantumState
    n = args.qubits
    figs = swift_figures(args.swift_cmd)
    state = QuantumState(n)
    state.set_zero_state()
    gates = 8
    rx = QuantumCircuit(n)
    for k in range(gates):
        rx.add_RX_gate(k, 0.3)
    cx = QuantumCircuit(n)
    for k in range(gates):
        cx.add_CNOT_gate(k, k + 1)
    rng = np.random.default_rng(0)
    layer = QuantumCircuit(n)
    for i in range(n):
        a, b, c = rng.uniform(0, 2 * np.pi, 3)
        layer.add_RZ_gate(i, a); layer.add_RY_gate(i, b); layer.add_RZ_gate(i, c)
    for i in range(n):
        layer.add_CNOT_gate(i, (i + 1) % n)
    t_rx = median_of(args.repeats, lambda: rx.update_quantum_state(state)) / gates
    t_cx = median_of(args.repeats, lambda: cx.update_quantum_state(state)) / gates
    t_layer = median_of(args.repeats, lambda: layer.update_quantum_state(state))
    report(f"rx_{n}q", figs.get("rx_24q_s"), "qulacs", t_rx, "s/gate")
    report(f"cnot_{n}q", figs.get("cnot_24q_s"), "qulacs", t_cx, "s/gate")
    report(f"layer_{n}q", figs.get("layer_24q_s"), "qulacs", t_layer, "s/layer")
    if "layer_24q_passes" in figs:
        print(f"layer_{n}q: swift passes over the state {int(figs['layer_24q_passes'])} for {int(figs['layer_24q_gates'])} gates")


if __name__ == "__main__":
    main()

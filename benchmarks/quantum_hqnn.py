#!/usr/bin/env python3
"""Peer benchmark: the old tool's HQNN head, one training step (forward + backward).

8 parallel 8-qubit circuits (AngleEmbedding X + StronglyEntanglingLayers, nLayers 6, <Z_i> on
every wire), batch 256, on PennyLane default.qubit with torch backprop (as the old tool ran it),
and optionally lightning.qubit with adjoint. Swift key: hqnn_head_step_s.

    /work/venv-quantum/bin/python benchmarks/quantum_hqnn.py --swift-cmd "<driver> hqnn"
"""
import numpy as np
import pennylane as qml
import torch

from quantum_common import median_of, parser, report, swift_figures

CIRCUITS, QUBITS, LAYERS, BATCH = 8, 8, 6, 256


def make_head(device, diff_method):
    dev = qml.device(device, wires=QUBITS)

    @qml.qnode(dev, interface="torch", diff_method=diff_method)
    def circuit(x, w):
        qml.AngleEmbedding(x, wires=range(QUBITS))
        qml.StronglyEntanglingLayers(w, wires=range(QUBITS))
        return [qml.expval(qml.PauliZ(i)) for i in range(QUBITS)]

    return circuit


def step(circuit, xs, ws, g):
    total = 0
    for k in range(CIRCUITS):
        out = torch.stack(circuit(xs[k], ws[k]), dim=-1)  # [B, n]
        total = total + (out * g).sum()
    total.backward()


def main():
    p = parser(__doc__)
    p.add_argument("--lightning", action="store_true", help="also time lightning.qubit adjoint")
    args = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xs = [torch.rand(BATCH, QUBITS, dtype=torch.float64, requires_grad=True) for _ in range(CIRCUITS)]
    ws = [torch.rand(LAYERS, QUBITS, 3, dtype=torch.float64, requires_grad=True) for _ in range(CIRCUITS)]
    g = torch.rand(BATCH, QUBITS, dtype=torch.float64)
    swift = swift_figures(args.swift_cmd).get("hqnn_head_step_s")
    circ = make_head("default.qubit", "backprop")
    t = median_of(args.repeats, lambda: step(circ, xs, ws, g))
    report("hqnn_head_step", swift, "pennylane default.qubit backprop", t, "s")
    if args.lightning:
        circ = make_head("lightning.qubit", "adjoint")
        t = median_of(1, lambda: step(circ, xs, ws, g), warmup=False)  # about a minute per step: one run, no warm-up
        report("hqnn_head_step", swift, "pennylane lightning.qubit adjoint", t, "s")


if __name__ == "__main__":
    main()

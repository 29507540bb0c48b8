#!/usr/bin/env python3
"""Generates Tests/QuantumTests/Fixtures/pennylane_layers.json with PennyLane itself.

Each case: AngleEmbedding(inputs, rotation) + StronglyEntanglingLayers or BasicEntanglerLayers,
readout <Z_i> on every wire, on default.qubit with autograd (float64, exact backprop), with the
values and the full Jacobians with respect to the inputs and the weights. CI never runs this; the
JSON output is committed. Run:

    /work/venv-quantum/bin/python tools/pennylane_fixtures.py
"""
import json
import os
import sys

import pennylane as qml
from pennylane import numpy as pnp
import numpy as np

# (template, wires, layers, rotation, features): qubit counts 1..6, both templates, all rotations,
# fewer features than wires in some cases.
CASES = [
    ("strong", 1, 1, "X", 1), ("strong", 1, 3, "Y", 1), ("strong", 2, 1, "Y", 2),
    ("strong", 2, 3, "X", 1), ("strong", 3, 2, "Z", 3), ("strong", 4, 3, "X", 4),
    ("strong", 5, 2, "Y", 3), ("strong", 6, 4, "X", 6), ("strong", 6, 2, "Z", 5),
    ("basic", 1, 2, "X", 1), ("basic", 2, 2, "Y", 2), ("basic", 2, 1, "Z", 1),
    ("basic", 3, 1, "Z", 3), ("basic", 4, 2, "X", 3), ("basic", 5, 3, "Y", 5),
    ("basic", 6, 2, "X", 6), ("basic", 6, 1, "Z", 4),
]


def run_case(rng, template, wires, layers, rotation, k):
    dev = qml.device("default.qubit", wires=wires)
    shape = (layers, wires, 3) if template == "strong" else (layers, wires)

    @qml.qnode(dev, diff_method="backprop", interface="autograd")
    def circuit(x, w):
        qml.AngleEmbedding(x, wires=range(wires), rotation=rotation)
        if template == "strong":
            qml.StronglyEntanglingLayers(w, wires=range(wires))
        else:
            qml.BasicEntanglerLayers(w, wires=range(wires))
        return [qml.expval(qml.PauliZ(i)) for i in range(wires)]

    def stacked(x, w):
        return pnp.stack(circuit(x, w))

    x = pnp.array(rng.uniform(-np.pi, np.pi, size=k), requires_grad=True)
    w = pnp.array(rng.uniform(0, 2 * np.pi, size=shape), requires_grad=True)
    vals = np.asarray(stacked(x, w), dtype=float)
    jx, jw = qml.jacobian(stacked)(x, w)
    jx = np.asarray(jx, dtype=float).reshape(wires, k)
    jw = np.asarray(jw, dtype=float).reshape(wires, -1)
    return {
        "template": template, "wires": wires, "layers": layers, "rotation": rotation,
        "inputs": np.asarray(x).tolist(), "weights": np.asarray(w).tolist(),
        "expvals": vals.tolist(), "jacobian_inputs": jx.tolist(), "jacobian_weights": jw.tolist(),
    }


def main():
    rng = np.random.default_rng(20261128)
    cases = [run_case(rng, *c) for c in CASES]
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "Tests", "QuantumTests", "Fixtures", "pennylane_layers.json")
    doc = {"generator": "tools/pennylane_fixtures.py", "pennylane": qml.__version__,
           "device": "default.qubit (backprop, float64)", "cases": cases}
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"wrote {len(cases)} cases with PennyLane {qml.__version__} to {os.path.normpath(out)}", file=sys.stderr)


if __name__ == "__main__":
    main()

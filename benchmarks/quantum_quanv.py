#!/usr/bin/env python3
"""Peer benchmark: quanvolution of 64x64 RGB images (2x2 patches, stride 2, RY(pi x) embedding
on 4 qubits, a fixed random layer, <Z_i> on 4 wires -> 4 channels per input channel), in seconds
per image. Peer: PennyLane default.qubit with all 3 x 32 x 32 patches of an image broadcast in one
call (far faster than the old tool's per-pixel Python loop). Swift key: quanv_s_per_image
(1,000 images).

    /work/venv-quantum/bin/python benchmarks/quantum_quanv.py --swift-cmd "<driver> quanv"
"""
import numpy as np
import pennylane as qml

from quantum_common import median_of, parser, report, swift_figures


def main():
    p = parser(__doc__)
    p.add_argument("--peer-images", type=int, default=4)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, size=(args.peer_images, 3, 64, 64))
    weights = rng.uniform(0, 2 * np.pi, size=(1, 4))
    dev = qml.device("default.qubit", wires=4)

    @qml.qnode(dev)
    def circuit(x):  # x: [P, 4]
        for j in range(4):
            qml.RY(np.pi * x[:, j], wires=j)
        qml.RandomLayers(weights, wires=list(range(4)), seed=42)
        return [qml.expval(qml.PauliZ(j)) for j in range(4)]

    def run():
        for img in images:
            # patches [C*32*32, 4]: top-left, top-right, bottom-left, bottom-right
            p4 = np.stack([img[:, 0::2, 0::2], img[:, 0::2, 1::2], img[:, 1::2, 0::2], img[:, 1::2, 1::2]], axis=-1)
            circuit(p4.reshape(-1, 4))

    swift = swift_figures(args.swift_cmd).get("quanv_s_per_image")
    t = median_of(args.repeats, run) / args.peer_images
    report("quanvolution_64x64_rgb", swift, "pennylane default.qubit (broadcast)", t, "s/image")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Peer benchmark: forward-only throughput of one 8-qubit circuit (AngleEmbedding X +
StronglyEntanglingLayers, nLayers 6, <Z_i> on all wires) over a batch, in samples/s.

Peers: PennyLane lightning.qubit (parameter broadcasting), qulacs (one parametric circuit,
parameters rebound per sample), Qiskit Aer EstimatorV2 (exact statevector expectation values).
Peers run on --peer-batch samples (their cost per sample is constant) to keep runs short; the
Swift figure is batch 4096 (key forward_samples_per_s).

    /work/venv-quantum/bin/python benchmarks/quantum_forward.py --swift-cmd "<driver> fwd"
"""
import numpy as np

from quantum_common import median_of, parser, report, swift_figures

Q, L = 8, 6


def lightning(x, w):
    import pennylane as qml
    dev = qml.device("lightning.qubit", wires=Q)

    @qml.qnode(dev, diff_method=None)
    def circuit(x, w):
        qml.AngleEmbedding(x, wires=range(Q))
        qml.StronglyEntanglingLayers(w, wires=range(Q))
        return [qml.expval(qml.PauliZ(i)) for i in range(Q)]

    return lambda: circuit(x, w)


def qulacs_run(x, w):
    from qulacs import ParametricQuantumCircuit, QuantumState
    c = ParametricQuantumCircuit(Q)
    for i in range(Q):
        c.add_parametric_RX_gate(i, 0.0)
    for l in range(L):
        for i in range(Q):
            c.add_parametric_RZ_gate(i, w[l, i, 0])
            c.add_parametric_RY_gate(i, w[l, i, 1])
            c.add_parametric_RZ_gate(i, w[l, i, 2])
        r = (l % (Q - 1)) + 1
        for i in range(Q):
            c.add_CNOT_gate(i, (i + r) % Q)
    state = QuantumState(Q)
    signs = np.array([[1 - 2 * ((k >> i) & 1) for k in range(1 << Q)] for i in range(Q)], dtype=float)

    def run():
        out = np.empty((len(x), Q))
        for b in range(len(x)):
            for i in range(Q):
                c.set_parameter(i, x[b, i])
            state.set_zero_state()
            c.update_quantum_state(state)
            p = np.abs(state.get_vector()) ** 2
            out[b] = signs @ p
        return out

    return run


def aer_run(x, w):
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit_aer.primitives import EstimatorV2
    xs, ws = ParameterVector("x", Q), ParameterVector("w", L * Q * 3)
    qc = QuantumCircuit(Q)
    for i in range(Q):
        qc.rx(xs[i], i)
    for l in range(L):
        for i in range(Q):
            b = (l * Q + i) * 3
            qc.rz(ws[b], i); qc.ry(ws[b + 1], i); qc.rz(ws[b + 2], i)
        r = (l % (Q - 1)) + 1
        for i in range(Q):
            qc.cx(i, (i + r) % Q)
    # Qiskit labels are little-endian: qubit i is the i-th character from the right.
    obs = [["I" * (Q - 1 - i) + "Z" + "I" * i for i in range(Q)]]
    params = np.concatenate([x, np.broadcast_to(w.reshape(1, -1), (len(x), w.size))], axis=1)
    ordered = list(xs) + list(ws)
    est = EstimatorV2(options={"default_precision": 0.0})
    vals = {tuple(ordered): params.reshape(len(x), 1, -1)}  # shape (B, 1) x (1, Q) observables

    def run():
        return est.run([(qc, obs, vals)]).result()[0].data.evs

    return run


def main():
    p = parser(__doc__)
    p.add_argument("--peer-batch", type=int, default=512)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(args.peer_batch, Q))
    w = rng.uniform(0, 2 * np.pi, size=(L, Q, 3))
    swift = swift_figures(args.swift_cmd).get("forward_samples_per_s")
    for name, make in [("pennylane lightning.qubit", lightning), ("qulacs", qulacs_run), ("qiskit-aer EstimatorV2", aer_run)]:
        try:
            fn = make(x, w)
            fn()  # warm-up / compile
            t = median_of(args.repeats, fn)
            report("forward_8q_6l", swift, name, args.peer_batch / t, "samples/s", higher_is_better=True)
        except Exception as e:  # a peer that cannot run is reported, not fatal
            print(f"forward_8q_6l: peer {name} failed: {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Peer benchmark: one 24-qubit state, seconds per RX and per CNOT gate, and per
StronglyEntangling layer, against qulacs (C++ statevector, multi-threaded by OMP_NUM_THREADS).
Swift keys: rx_24q_s, cnot_24q_s, layer_24q_s (and layer_24q_passes: passes over the state after
fusion, versus layer_24q_gates gates).

    OMP_NUM_THREADS=2 /work/venv-quantum/bin/python benchmarks/quantum_gates.py --swift-cmd "<driver> gate"

With --layer-qubits 20,22,24 it measures instead one StronglyEntangling layer (--layers L: L of them) per qubit count,
forward and adjoint gradient of sum_i g_i <Z_i>, against qulacs (update_quantum_state;
ParametricQuantumCircuit.backprop) and PennyLane lightning.qubit (diff_method None / "adjoint"),
in --rounds interleaved rounds (per round: the Swift command once, then each peer's median of
--repeats); the median over rounds is reported with Swift's counted passes per layer:

    OMP_NUM_THREADS=2 python benchmarks/quantum_gates.py --layer-qubits 20,22,24 --rounds 3 \
        --swift-cmd ".build/release/bench quantum layer --threads 2 --repeats 3 --qubits"
(the qubit count is appended to --swift-cmd).
"""
import numpy as np

from quantum_common import median_of, parser, report, swift_figures


def layer_peers(n, repeats, peers, layers=1):
    """Peer seconds for `layers` StronglyEntangling layers on n qubits: {(peer, 'fwd'|'grad'): median}."""
    rng = np.random.default_rng(0)
    w = rng.uniform(0, 2 * np.pi, (layers, n, 3))
    g = rng.uniform(0, 1, n)
    out = {}
    if "qulacs" in peers:
        from qulacs import Observable, ParametricQuantumCircuit, QuantumState
        c = ParametricQuantumCircuit(n)
        for l in range(layers):
            for i in range(n):
                # PennyLane wire i is the most significant bit; qulacs qubit 0 the least: wire i -> n-1-i.
                # qulacs' rotations are exp(+i theta/2 P), PennyLane's exp(-i theta/2 P): angles negated
                # (checked against default.qubit at 6 qubits, 3 layers).
                q = n - 1 - i
                c.add_parametric_RZ_gate(q, -w[l, i, 0]); c.add_parametric_RY_gate(q, -w[l, i, 1]); c.add_parametric_RZ_gate(q, -w[l, i, 2])
            # PennyLane's ranges: CNOT(i, i + r) with r = (l mod (n - 1)) + 1.
            r = (l % (n - 1)) + 1
            for i in range(n):
                c.add_CNOT_gate(n - 1 - i, n - 1 - ((i + r) % n))
        obs = Observable(n)
        for i in range(n):
            obs.add_operator(float(g[i]), f"Z {n - 1 - i}")
        state = QuantumState(n)

        def fwd():
            state.set_zero_state()
            c.update_quantum_state(state)
            return obs.get_expectation_value(state)

        out[("qulacs", "fwd")] = median_of(repeats, fwd)
        out[("qulacs", "grad")] = median_of(repeats, lambda: c.backprop(obs))
    if "lightning" in peers:
        import pennylane as qml
        dev = qml.device("lightning.qubit", wires=n)
        H = qml.Hamiltonian(list(g), [qml.PauliZ(i) for i in range(n)])

        def make(diff):
            @qml.qnode(dev, diff_method=diff)
            def circuit(w):
                qml.StronglyEntanglingLayers(w, wires=range(n))
                return qml.expval(H)
            return circuit

        f = make(None)
        a = make("adjoint")
        wt = qml.numpy.array(w, requires_grad=True)
        out[("lightning.qubit", "fwd")] = median_of(repeats, lambda: f(w))
        out[("lightning.qubit", "grad")] = median_of(repeats, lambda: qml.grad(a)(wt))
    return out


def layers_main(args):
    import statistics
    counts = [int(q) for q in args.layer_qubits.split(",")]
    peers = args.peers.split(",")
    rounds = {}
    for r in range(args.rounds):
        for n in counts:
            figs = swift_figures(f"{args.swift_cmd} {n} --layers {args.layers}") if args.swift_cmd else {}
            for k, v in figs.items():
                rounds.setdefault(("swift", k), []).append(v)
            for k, v in layer_peers(n, args.repeats, peers, args.layers).items():
                rounds.setdefault((k[0], f"layer_{n}q_{k[1]}"), []).append(v)
            print(f"round {r + 1}/{args.rounds}, {n} qubits done", flush=True)
    med = {k: statistics.median(v) for k, v in rounds.items()}
    for n in counts:
        for kind in ["fwd", "grad"]:
            ours = med.get(("swift", f"layer_{n}q_blocked_{kind}_s"))
            gate = med.get(("swift", f"layer_{n}q_pergate_{kind}_s"))
            passes = med.get(("swift", f"layer_{n}q_blocked_{kind}_passes"))
            gpasses = med.get(("swift", f"layer_{n}q_pergate_{kind}_passes"))
            if ours is not None:
                # `bench quantum layer --blocked-only` leaves the gate-by-gate reference out.
                pergate = f"gate by gate {gate:.4g} s ({gpasses:.0f} passes)" if gate is not None else "gate by gate not run"
                print(f"layer_{n}q_{kind} ({args.layers} layers): swift blocked {ours:.4g} s ({passes:.0f} passes), {pergate}")
            for peer in ["qulacs", "lightning.qubit"]:
                t = med.get((peer, f"layer_{n}q_{kind}"))
                if t is None:
                    continue
                ratio = f"; swift blocked is {t / ours:.2f}x" if ours else ""
                ratio += f", gate by gate {t / gate:.2f}x {peer}" if ours and gate else (f" {peer}" if ours else "")
                print(f"layer_{n}q_{kind}: peer {peer} {t:.4g} s{ratio}")


def main():
    p = parser(__doc__)
    p.add_argument("--qubits", type=int, default=24)
    p.add_argument("--layer-qubits", default=None, help="comma-separated qubit counts: the layer study (see above)")
    p.add_argument("--layers", type=int, default=1,
                   help="StronglyEntangling layers in the layer study's circuit (ours and the peers'); a layer deep in a "
                        "circuit costs the difference between the figures at 2 layers and at 1 (our first layer from |0> is cheaper)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the layer study")
    p.add_argument("--peers", default="qulacs,lightning", help="layer-study peers: qulacs, lightning")
    args = p.parse_args()
    if args.layer_qubits:
        layers_main(args)
        return
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

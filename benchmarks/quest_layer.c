// Peer driver for `bench sharded --gradient-layers 1` (benchmarks/quest_vs_ours.sh): the same
// circuit on QuEST v4's distributed statevector, through QuEST's public C API only.
//
// Circuit (Sources/Quantum/Templates.swift layerCircuit(.strong, layers: 1), = PennyLane's
// AngleEmbedding(rotation="X") + StronglyEntanglingLayers with one layer): RX(x_w) on every wire
// w, then Rot(phi, theta, omega) = RZ(phi), RY(theta), RZ(omega) (in that application order) on
// every wire, then CNOT(w, (w + 1) mod n) for w = 0..n-1 (range 1 in layer 0).
// Wire w is QuEST qubit n-1-w: our wire 0 is the most significant amplitude bit (PennyLane's
// order), so the top log2(R) wires are the rank-split ones on both sides.
//
// Values: fixed, from a formula (below), printed with --print-values as %.17g so the script can
// hand the very same numbers to `deepfake qlayer` and compare <Z_w> and the gradient with ours.
//
// Timing, to match what `bench sharded --gradient-layers 1` times (ShardedRun.gradientFigures):
//  - forward: create the state (first touch of its pages: ours allocates a fresh sharded state
//    per run too), |0...0>, the circuit, every <Z_w>; destroy untimed.
//  - gradient: the adjoint VJP of sum_w g_w <Z_w> with respect to every angle (the inputs' RX and
//    the 3n weights), including its own forward, like ShardedGradients.vjp. QuEST v4 has no
//    gradient routine, so it is written here from public calls: phi = U|0>, lambda = O phi with
//    O = sum_w g_w Z_w (multiplyPauliStrSum), then gate by gate from the last: for a rotation
//    exp(-i t/2 P), d/dt = Im <lambda| P |phi> (mu = P phi in a third state, calcInnerProduct);
//    then phi and lambda both get the gate's inverse.
// One untimed warm-up forward, then --repeats timed forwards and --repeats timed gradients (no
// second warm-up: every run makes fresh states anyway, as ours does); medians are printed. Every timed
// region sits between syncQuESTEnv() barriers, so rank 0's clock spans the slowest rank.
// States are made with createForcedQureg: plain createQureg would not distribute a state below
// 26 local qubits (QuEST's auto-deployer) and would run R full copies instead.

#define _POSIX_C_SOURCE 199309L   // clock_gettime under -std=c11

#include "quest.h"

#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum Kind { RX, RY, RZ, CNOT };
typedef struct { enum Kind kind; int qubit, target; int param; } Gate;   // param: index into angles, -1 none

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compareDoubles(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

static double median(double* v, int n) {
    qsort(v, (size_t)n, sizeof(double), compareDoubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double frac(double x) { return x - (double)(long long)x; }

// The fixed values: angles[0..n) are the inputs x_w in [0, 1), angles[n..4n) the weights
// w[0, i, k] (row-major, PennyLane's shape [1, n, 3]) in [-pi, pi), upstream[w] in [-0.5, 0.5).
// Low-discrepancy sequences: spread out, no RNG to reproduce elsewhere.
static void fixedValues(int n, double* angles, double* upstream) {
    const double pi = 3.14159265358979323846;
    for (int w = 0; w < n; w++) angles[w] = frac((w + 1) * 0.6180339887498949);
    for (int j = 0; j < 3 * n; j++) angles[n + j] = 2 * pi * frac((j + 1) * 0.7548776662466927) - pi;
    for (int w = 0; w < n; w++) upstream[w] = frac((w + 1) * 0.5698402909980532) - 0.5;
}

// The circuit as a gate list (see the header); returns the number of gates (5n).
static int buildCircuit(int n, Gate* g) {
    int k = 0;
    for (int w = 0; w < n; w++) g[k++] = (Gate){RX, n - 1 - w, -1, w};
    for (int w = 0; w < n; w++) {
        g[k++] = (Gate){RZ, n - 1 - w, -1, n + 3 * w};
        g[k++] = (Gate){RY, n - 1 - w, -1, n + 3 * w + 1};
        g[k++] = (Gate){RZ, n - 1 - w, -1, n + 3 * w + 2};
    }
    for (int w = 0; w < n; w++) g[k++] = (Gate){CNOT, n - 1 - w, n - 1 - (w + 1) % n, -1};
    return k;
}

// sign +1 applies the gate, -1 its inverse.
static void applyGate(Qureg q, const Gate* g, const double* angles, double sign) {
    switch (g->kind) {
    case RX: applyRotateX(q, g->qubit, sign * angles[g->param]); break;
    case RY: applyRotateY(q, g->qubit, sign * angles[g->param]); break;
    case RZ: applyRotateZ(q, g->qubit, sign * angles[g->param]); break;
    case CNOT: applyControlledPauliX(q, g->qubit, g->target); break;   // its own inverse
    }
}

static void applyGenerator(Qureg q, const Gate* g) {
    switch (g->kind) {
    case RX: applyPauliX(q, g->qubit); break;
    case RY: applyPauliY(q, g->qubit); break;
    case RZ: applyPauliZ(q, g->qubit); break;
    case CNOT: break;
    }
}

// One forward: fresh state, circuit, every <Z_w> into z[w]. Returns the state (caller destroys).
static Qureg forward(int n, const Gate* g, int gates, const double* angles, double* z) {
    Qureg q = createForcedQureg(n);
    initZeroState(q);
    for (int k = 0; k < gates; k++) applyGate(q, &g[k], angles, 1);
    for (int w = 0; w < n; w++) {
        int qubit = n - 1 - w;
        z[w] = calcExpecPauliStr(q, getPauliStr("Z", &qubit, 1));
    }
    return q;
}

// The adjoint VJP: grad[p] = d(sum_w upstream[w] <Z_w>) / d angles[p], its forward included.
static void adjointGradient(int n, const Gate* g, int gates, const double* angles, PauliStrSum observable,
                            double* z, double* grad) {
    Qureg phi = forward(n, g, gates, angles, z);
    Qureg lambda = createForcedQureg(n), mu = createForcedQureg(n);
    setQuregToClone(lambda, phi);
    multiplyPauliStrSum(lambda, observable, mu);   // lambda = O phi (mu: QuEST's workspace here)
    for (int k = gates - 1; k >= 0; k--) {
        if (g[k].param >= 0) {
            setQuregToClone(mu, phi);
            applyGenerator(mu, &g[k]);
            grad[g[k].param] = cimag(calcInnerProduct(lambda, mu));
        }
        if (k > 0) { applyGate(phi, &g[k], angles, -1); applyGate(lambda, &g[k], angles, -1); }
    }
    destroyQureg(mu); destroyQureg(lambda); destroyQureg(phi);
}

static void printList(const char* key, const double* v, int n) {
    printf("%s ", key);
    for (int i = 0; i < n; i++) printf("%s%.17g", i ? "," : "", v[i]);
    printf("\n");
}

static void usage(const char* why) {
    fprintf(stderr, "quest_layer: %s\n"
            "usage: mpirun -np R quest_layer --qubits N [--repeats K] [--gradient] [--print-values]\n"
            "  N >= 2 wires with N - log2(R) >= 1; K >= 1 timed repeats after one warm-up (default 3)\n", why);
    exit(2);
}

int main(int argc, char** argv) {
    int n = 0, repeats = 3, gradient = 0, printValues = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--qubits") && i + 1 < argc) n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--gradient")) gradient = 1;
        else if (!strcmp(argv[i], "--print-values")) printValues = 1;
        else { char msg[256]; snprintf(msg, sizeof msg, "unknown or incomplete argument '%s'", argv[i]); usage(msg); }
    }
    if (n < 2 || n > 40) usage("--qubits must be an integer between 2 and 40");
    if (repeats < 1) usage("--repeats must be at least 1");

    initQuESTEnv();   // MPI_Init inside; distribution whenever launched on more than one rank
    QuESTEnv env = getQuESTEnv();
    int root = env.rank == 0;

    double* angles = malloc(sizeof(double) * 4 * (size_t)n);
    double* upstream = malloc(sizeof(double) * (size_t)n);
    double* z = malloc(sizeof(double) * (size_t)n);
    double* grad = malloc(sizeof(double) * 4 * (size_t)n);
    double* seconds = malloc(sizeof(double) * (size_t)repeats);
    Gate* g = malloc(sizeof(Gate) * 5 * (size_t)n);
    fixedValues(n, angles, upstream);
    int gates = buildCircuit(n, g);

    // What the states really are (distributed or not, threads), from the Qureg itself.
    Qureg probe = createForcedQureg(n);
    if (root) {
        printf("quest_ranks %d\nquest_qubits %d\nquest_gates %d\n", env.numNodes, n, gates);
        printf("quest_distributed %d\nquest_multithreaded %d\nquest_local_qubits %lld\n", probe.isDistributed,
               probe.isMultithreaded, (long long)probe.logNumAmpsPerNode);
        const char* t = getenv("OMP_NUM_THREADS");
        printf("quest_omp_threads %s\n", t ? t : "unset");
        printf("quest_repeats %d\n", repeats);
        if (printValues) { printList("quest_inputs", angles, n); printList("quest_weights", angles + n, 3 * n); printList("quest_upstream", upstream, n); }
    }
    destroyQureg(probe);

    for (int r = -1; r < repeats; r++) {   // r = -1: the untimed warm-up
        syncQuESTEnv();
        double t0 = now();
        Qureg q = forward(n, g, gates, angles, z);
        syncQuESTEnv();
        if (r >= 0) seconds[r] = now() - t0;
        destroyQureg(q);
    }
    if (root) {
        printf("quest_forward_seconds %.6f\n", median(seconds, repeats));
        printList("quest_expval_z", z, n);
    }

    if (gradient) {
        PauliStr* strings = malloc(sizeof(PauliStr) * (size_t)n);
        qcomp* coeffs = malloc(sizeof(qcomp) * (size_t)n);
        for (int w = 0; w < n; w++) {
            int qubit = n - 1 - w;
            strings[w] = getPauliStr("Z", &qubit, 1);
            coeffs[w] = upstream[w];
        }
        PauliStrSum observable = createPauliStrSum(strings, coeffs, n);
        for (int r = 0; r < repeats; r++) {   // warm already: the forward's warm-up started the threads
            syncQuESTEnv();
            double t0 = now();
            adjointGradient(n, g, gates, angles, observable, z, grad);
            syncQuESTEnv();
            if (r >= 0) seconds[r] = now() - t0;
        }
        if (root) {
            printf("quest_gradient_seconds %.6f\n", median(seconds, repeats));
            printList("quest_gradient_inputs", grad, n);
            printList("quest_gradient_weights", grad + n, 3 * n);
        }
        destroyPauliStrSum(observable);
        free(coeffs); free(strings);
    }

    free(g); free(seconds); free(grad); free(z); free(upstream); free(angles);
    finalizeQuESTEnv();
    return 0;
}

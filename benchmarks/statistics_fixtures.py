#!/usr/bin/env python3
"""Reference values for Sources/Metrics/Statistics.swift, written to
Tests/MetricsTests/Fixtures/statistics.json (committed: CI has no Python).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install scipy scikit-learn numpy
    /tmp/venv/bin/python benchmarks/statistics_fixtures.py > Tests/MetricsTests/Fixtures/statistics.json

t quantiles, CDFs and intervals come from scipy.stats.t; the paired t-test from
scipy.stats.ttest_rel; the signed-rank test from scipy.stats.wilcoxon (its defaults); the AUCs
from sklearn.metrics.roc_auc_score. scipy and sklearn have no DeLong test, so it is computed here
straight from its definition (the O(m n) placement values psi(x, y) of DeLong et al. 1988, not
the midrank shortcut the Swift code uses), with the AUCs checked against sklearn.
"""
import json
import sys

import numpy as np
import scipy
import scipy.stats as st
import sklearn
from sklearn.metrics import roc_auc_score


def delong_reference(labels, a, b):
    labels = np.asarray(labels)
    out = {}
    comps = []
    for s in (np.asarray(a), np.asarray(b)):
        x, y = s[labels == 1], s[labels == 0]
        psi = (x[:, None] > y[None, :]).astype(float) + 0.5 * (x[:, None] == y[None, :])
        comps.append((psi.mean(), psi.mean(axis=1), psi.mean(axis=0)))
    m, n = (labels == 1).sum(), (labels == 0).sum()
    s10 = np.cov(np.vstack([comps[0][1], comps[1][1]]))
    s01 = np.cov(np.vstack([comps[0][2], comps[1][2]]))
    cov = s10 / m + s01 / n
    diff = comps[0][0] - comps[1][0]
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    se = float(np.sqrt(var))
    z = diff / se
    q = st.norm.ppf(0.975)
    assert abs(comps[0][0] - roc_auc_score(labels, a)) < 1e-12
    assert abs(comps[1][0] - roc_auc_score(labels, b)) < 1e-12
    return {"auc_a": float(comps[0][0]), "auc_b": float(comps[1][0]), "difference": float(diff),
            "standard_error": se, "lower": float(diff - q * se), "upper": float(diff + q * se),
            "z": float(z), "p": float(2 * st.norm.sf(abs(z)))}


def main():
    rng = np.random.default_rng(12)
    fixture = {"generator": "benchmarks/statistics_fixtures.py",
               "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__}}

    fixture["t_quantiles"] = [{"p": p, "df": df, "q": float(st.t.ppf(p, df))}
                              for df in (1, 2, 3, 4, 5, 9, 29, 100)
                              for p in (0.5, 0.6, 0.9, 0.975, 0.995, 0.025)]
    fixture["t_cdf"] = [{"t": t, "df": df, "cdf": float(st.t.cdf(t, df))}
                        for df in (1, 3, 4, 7.5, 30) for t in (-3.2, -1.0, 0.0, 0.4, 2.1, 6.0)]

    intervals = []
    for n in (2, 3, 5, 10):
        x = np.round(rng.normal(0.8, 0.05, n), 4)
        lo, hi = st.t.interval(0.95, n - 1, loc=x.mean(), scale=st.sem(x))
        intervals.append({"x": x.tolist(), "mean": float(x.mean()), "lower": float(lo), "upper": float(hi)})
    fixture["mean_intervals"] = intervals

    paired = []
    for n in (2, 3, 5, 8):
        a = np.round(rng.normal(0.85, 0.03, n), 4)
        b = np.round(a - rng.normal(0.01, 0.02, n), 4)
        r = st.ttest_rel(a, b)
        d = a - b
        lo, hi = st.t.interval(0.95, n - 1, loc=d.mean(), scale=st.sem(d))
        paired.append({"a": a.tolist(), "b": b.tolist(), "t": float(r.statistic), "p": float(r.pvalue),
                       "mean_difference": float(d.mean()), "lower": float(lo), "upper": float(hi)})
    fixture["paired_t"] = paired

    wil = []
    cases = [
        ([0.91, 0.88, 0.93, 0.90, 0.87], [0.89, 0.86, 0.90, 0.91, 0.85]),          # n=5, exact
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [1.5, 1.1, 2.2, 3.0, 4.9, 5.5, 9.0]),  # exact, n=7
        ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.2, 0.1, 0.4, 0.3, 0.6, 0.55]),          # ties in |d| -> permutation
        ([1.0, -1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0]),                              # a half-integer statistic
        ([3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], [3.0, 3.5, 5.5, 5.0, 6.0, 8.5, 7.0, 7.5]),  # a zero difference -> permutation
    ]
    for _ in range(2):
        a = np.round(rng.normal(0, 1, 12), 3)
        b = np.round(a + rng.normal(0.3, 1, 12), 3)
        cases.append((a.tolist(), b.tolist()))
    a = np.round(rng.normal(0, 1, 20), 1)                                         # 20 pairs with ties -> normal
    cases.append((a.tolist(), np.round(a + np.round(rng.normal(0.4, 0.5, 20), 1), 1).tolist()))
    for a, b in cases:
        r = st.wilcoxon(a, b)
        wil.append({"a": list(a), "b": list(b), "statistic": float(r.statistic), "p": float(r.pvalue)})
    fixture["wilcoxon"] = wil

    dl = []
    for (m, n, ties) in ((30, 40, False), (25, 25, True), (60, 45, True)):
        labels = np.array([1] * m + [0] * n)
        base = labels + rng.normal(0, 1.0, m + n)
        a = base + rng.normal(0, 0.6, m + n)
        b = base + rng.normal(0, 0.9, m + n)
        if ties:
            a, b = np.round(a, 1), np.round(b, 1)
        perm = rng.permutation(m + n)
        labels, a, b = labels[perm], a[perm], b[perm]
        ref = delong_reference(labels, a, b)
        ref.update({"labels": labels.tolist(), "a": a.tolist(), "b": b.tolist()})
        dl.append(ref)
    fixture["delong"] = dl

    json.dump(fixture, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Reference values for Tests/MetricsTests/SklearnComparisonTests.swift, computed once with
scikit-learn and pasted there as constants (CI never runs this).

Run: python3 -m venv /tmp/v && /tmp/v/bin/pip install scikit-learn && /tmp/v/bin/python benchmarks/metrics_sklearn_reference.py
"""
import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score, f1_score, precision_score,
                             recall_score, roc_auc_score, roc_curve, confusion_matrix)

# 24 samples; scores rounded to one decimal so there are ties, some across classes.
rng = np.random.default_rng(7)
labels = rng.integers(0, 2, 24)
scores = np.round(np.clip(0.35 * labels + rng.random(24) * 0.65, 0, 1), 1)
pred = (scores >= 0.5).astype(int)
tn, fp, fn, tp = confusion_matrix(labels, pred, labels=[0, 1]).ravel()
fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
fnr = 1 - tpr
print("labels:", "[" + ", ".join(str(int(x)) for x in labels) + "]")
print("scores:", "[" + ", ".join(repr(float(x)) for x in scores) + "]")
print(f"tp={tp} fp={fp} tn={tn} fn={fn}")
print("accuracy", repr(accuracy_score(labels, pred)))
print("precision", repr(precision_score(labels, pred, zero_division=0)))
print("recall", repr(recall_score(labels, pred, zero_division=0)))
print("f1", repr(f1_score(labels, pred, zero_division=0)))
print("auc", repr(roc_auc_score(labels, scores)))
print("ap", repr(average_precision_score(labels, scores)))
print("fpr", [float(x) for x in fpr])
print("tpr", [float(x) for x in tpr])
print("thr", [float(x) for x in thr])
# EER by linear interpolation where FPR - FNR changes sign (the rule Metrics documents).
d = fpr - fnr
i = int(np.argmax(d >= 0))
t = -d[i - 1] / (d[i] - d[i - 1])
print("eer", repr(float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))),
      "threshold", repr(float(thr[i - 1] + t * (thr[i] - thr[i - 1])) if np.isfinite(thr[i - 1]) else float(thr[i])))

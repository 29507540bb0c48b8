// bench: the thin command-line front of the BenchSuite library (one file per command; see Bench.swift).

import Foundation
import NN

// Line-buffered stdout: progress lines appear at once in a batch job's log file, in order with
// the training log (which writes to the stdout file handle directly).
setvbuf(stdout, nil, _IOLBF, 0)
// Before anything else: make OpenBLAS load its kernels for this CPU (see Compute).
Compute.reexecWithTunedOpenBLASIfNeeded()
Bench.main()

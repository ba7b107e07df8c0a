#!/usr/bin/env python3
"""Population means of every environment of a generate.py dataset, in the dataset's units (z-scored
with the observational sample statistics): reruns generate.py with the same seed in a scratch
folder, then propagates each env's true Hill values ψ through the true weights. For
predict-breakdown.mjs --means (the sampling-noise floor of the mean distance, and ψ at each dose).

    python3 scripts/external-check/true-means.py --seed 1 [generate.py flags] > means.json
"""
import json, os, sys, tempfile, contextlib, io
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
with tempfile.TemporaryDirectory() as scratch:
    sys.argv = [os.path.join(here, "generate.py"), "--out", scratch, *sys.argv[1:]]
    ns = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(open(sys.argv[0]).read(), sys.argv[0], "exec"), ns)
W, order, envs, mu, sd = ns["W"], ns["order"], ns["envs"], ns["mu"], ns["sd"]
out = {}
for eid, _split, t, psi, _r in envs:
    m = np.zeros(len(mu))
    for j in order:
        m[j] = psi[j] if t[j] else m @ W[:, j]
    out[eid] = {"mean": ((m - mu) / sd).tolist(), "psi": [((psi[j] - mu[j]) / sd[j]) if t[j] else None for j in range(len(mu))]}
out["observational"] = {"mean": (-mu / sd).tolist(), "psi": [None] * len(mu)}
json.dump(out, sys.stdout)

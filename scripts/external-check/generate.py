#!/usr/bin/env python3
"""Independent synthetic-data generator for the GIM benchmark (spec §9), written from the spec
and the paper with numpy only -- it does not import or port the project's TypeScript.

Writes samples.csv (env,<vars>), features.csv (env,<feats>; all-zero row = observational) and
truth.json {variables, graph (graph[i][j] = 1 iff i -> j), targets, split}.

    /usr/bin/python3 scripts/external-check/generate.py --out /tmp/ext1 --seed 1
"""
import argparse, json, os
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--d", type=int, default=10)
p.add_argument("--edges-per-node", type=float, default=1.0)
p.add_argument("--perturbations", type=int, default=10)
p.add_argument("--n-per-env", type=int, default=50)
p.add_argument("--n-obs", type=int, default=300)
p.add_argument("--q", type=int, default=10)
a = p.parse_args()
rng = np.random.default_rng(a.seed)
d = a.d

# ER graph: strictly lower-triangular Bernoulli(2E/(d(d-1))) with E = edges_per_node * d, then permute.
prob = 2 * a.edges_per_node * d / (d * (d - 1))
low = np.tril(rng.random((d, d)) < prob, k=-1)           # low[i, j]: j -> i for j < i
perm = rng.permutation(d)
A = np.zeros((d, d), dtype=int)                          # A[i, j] = 1 iff i -> j
for i in range(d):
    for j in range(i):
        if low[i, j]:
            A[perm[j], perm[i]] = 1
W = A * rng.uniform(0.5, 2.0, (d, d)) * rng.choice([-1.0, 1.0], (d, d))
order = [perm[k] for k in range(d)]                      # topological order (parents first)
sig_obs, sig_int = np.sqrt(0.1), 1.0

def sample(n, targets, psi):
    X = np.zeros((n, d))
    for j in order:
        if targets[j]:
            X[:, j] = psi[j] + sig_int * rng.standard_normal(n)
        else:
            X[:, j] = X @ W[:, j] + sig_obs * rng.standard_normal(n)
    return X

def random_target_set(seen):
    while True:
        k = rng.integers(1, 3)
        s = tuple(sorted(rng.choice(d, size=k, replace=False).tolist()))
        if s not in seen:
            seen.add(s)
            return s

# Per-variable Hill function h_j(s) = a s^n / (K^n + s^n).
hill_a, hill_K, hill_n = rng.uniform(1, 5, d), rng.uniform(0.5, 2, d), rng.integers(1, 5, d)
hill = lambda j, s: hill_a[j] * s ** hill_n[j] / (hill_K[j] ** hill_n[j] + s ** hill_n[j])
TRAIN, PARTIAL = [0.5, 1, 2, 4], [0.75, 1.5, 3, 6]

seen = set()
train_sets = [random_target_set(seen) for _ in range(a.perturbations)]
full_sets = [random_target_set(seen) for _ in range(a.perturbations)]
envs = []  # (id, split, targets, psi, raw r_e)
def add(prefix, sets, doses, split):
    for pi, s in enumerate(sets):
        for dose in doses:
            t = np.zeros(d, dtype=int); t[list(s)] = 1
            psi = np.array([hill(j, dose) if t[j] else 0.0 for j in range(d)])
            envs.append((f"{prefix}{pi}_d{dose:g}", split, t, psi, np.concatenate([t, psi])))
add("tr", train_sets, TRAIN, "train")
add("tr", train_sets, PARTIAL, "partial-ood")
add("new", full_sets, TRAIN, "full-ood")

X_obs = sample(a.n_obs, np.zeros(d, dtype=int), np.zeros(d))
data = [("observational", X_obs)] + [(e[0], sample(a.n_per_env, e[2], e[3])) for e in envs]
mu, sd = X_obs.mean(0), X_obs.std(0)
sd[sd == 0] = 1

# Features: standardise r_e with train statistics, PCA on train envs, top q components.
R_train = np.array([e[4] for e in envs if e[1] == "train"])
fm, fs = R_train.mean(0), R_train.std(0)
def stdz(R):
    Z = (R - fm) / np.where(fs > 0, fs, 1)
    Z[:, fs == 0] = 0
    return Z
_, _, Vt = np.linalg.svd(stdz(R_train), full_matrices=False)
V = np.zeros((2 * d, a.q)); k = min(a.q, Vt.shape[0]); V[:, :k] = Vt[:k].T
feats = stdz(np.array([e[4] for e in envs])) @ V
feats[np.all(feats == 0, axis=1), 0] = 1e-6

os.makedirs(a.out, exist_ok=True)
names = [f"v{j}" for j in range(d)]
with open(os.path.join(a.out, "samples.csv"), "w") as f:
    f.write("env," + ",".join(names) + "\n")
    for eid, X in data:
        for row in (X - mu) / sd:
            f.write(eid + "," + ",".join(f"{v:.7g}" for v in row) + "\n")
with open(os.path.join(a.out, "features.csv"), "w") as f:
    f.write("env," + ",".join(f"f{k}" for k in range(a.q)) + "\n")
    f.write("observational," + ",".join(["0"] * a.q) + "\n")
    for e, row in zip(envs, feats):
        f.write(e[0] + "," + ",".join(f"{v:.7g}" for v in row) + "\n")
truth = {"variables": names, "graph": A.tolist(),
         "targets": {"observational": [0] * d, **{e[0]: e[2].tolist() for e in envs}},
         "split": {"observational": "observational", **{e[0]: e[1] for e in envs}}}
with open(os.path.join(a.out, "truth.json"), "w") as f:
    json.dump(truth, f)
print(f"wrote {a.out}: d={d}, {int(A.sum())} edges, {len(envs)} perturbed envs + observational")

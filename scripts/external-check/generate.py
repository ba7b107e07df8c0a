#!/usr/bin/env python3
"""Independent synthetic-data generator for the GIM benchmark (spec §9), written from the spec
and the paper with numpy only -- it does not import or port the project's TypeScript.

Writes samples.csv (env,<vars>), features.csv (env,<feats>; all-zero row = observational) and
truth.json {variables, graph (graph[i][j] = 1 iff i -> j), targets, split, generator}; with
--fresh-per-env N also N new rows of every training env (split train-fresh, never trained on).

    /usr/bin/python3 scripts/external-check/generate.py --out /tmp/ext1 --seed 1
    /usr/bin/python3 scripts/external-check/generate.py --out /tmp/sf --graph sf --intervention shift --d 15

The defaults (ER, linear, hard, per-variable Hill functions) draw exactly the numbers they drew
before the other families existed, so their output is byte-identical; every other choice draws
its own numbers in place of the default's (see README.md).
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
p.add_argument("--graph", choices=["er", "sf"], default="er")
p.add_argument("--mechanism", choices=["linear", "mlp"], default="linear")
p.add_argument("--intervention", choices=["hard", "shift"], default="hard")
p.add_argument("--hill", choices=["per-variable", "per-perturbation"], default="per-variable")
p.add_argument("--train-doses", default="0.5,1,2,4")
p.add_argument("--ood-doses", default="0.75,1.5,3,6")
p.add_argument("--hidden", type=int, default=5)
p.add_argument("--fresh-per-env", type=int, default=0)
a = p.parse_args()
rng = np.random.default_rng(a.seed)
d = a.d

def doses(text):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        p.error(f"doses must be comma-separated numbers, got {text!r}")
    if not values or min(values) <= 0:
        p.error(f"doses must be positive, got {text!r}")
    return values

def scale_free():
    # Barabasi-Albert as igraph's Barabasi(directed=True) used by DiBS: node t (t = 1..d-1) sends
    # min(m, t) edges to distinct older nodes drawn with weight in-degree + 1; then relabel.
    m = max(1, int(round(a.edges_per_node)))
    indeg = np.zeros(d)
    B = np.zeros((d, d), dtype=int)                      # B[t, s] = 1 iff t -> s (new -> old)
    for t in range(1, d):
        w = indeg[:t] + 1
        chosen = rng.choice(t, size=min(m, t), replace=False, p=w / w.sum())
        B[t, chosen] = 1
        indeg[chosen] += 1
    perm = rng.permutation(d)                            # node t becomes variable perm[t]
    A = np.zeros((d, d), dtype=int)
    A[np.ix_(perm, perm)] = B
    return A, [perm[t] for t in range(d - 1, -1, -1)]    # newest first: parents before children

if a.graph == "er":
    pass  # drawn below exactly as before the flag existed
elif a.edges_per_node < 1:
    p.error("--graph sf needs --edges-per-node >= 1 (Barabasi-Albert m = its rounded value)")

# ER graph: strictly lower-triangular Bernoulli(2E/(d(d-1))) with E = edges_per_node * d, then permute.
if a.graph == "er":
    prob = 2 * a.edges_per_node * d / (d * (d - 1))
    low = np.tril(rng.random((d, d)) < prob, k=-1)       # low[i, j]: j -> i for j < i
    perm = rng.permutation(d)
    A = np.zeros((d, d), dtype=int)                      # A[i, j] = 1 iff i -> j
    for i in range(d):
        for j in range(i):
            if low[i, j]:
                A[perm[j], perm[i]] = 1
    order = [perm[k] for k in range(d)]                  # topological order (parents first)
else:
    A, order = scale_free()
sig_obs, sig_int = np.sqrt(0.1), 1.0

if a.mechanism == "linear":
    W = A * rng.uniform(0.5, 2.0, (d, d)) * rng.choice([-1.0, 1.0], (d, d))
    mean = lambda X, j: X @ W[:, j]
else:
    # One tanh MLP per variable, one hidden layer of H units, N(0, 1) weights and biases (paper
    # D.1); its input is x masked by the parents. Roots: x_j = noise only.
    H = a.hidden
    W1, b1 = rng.standard_normal((d, d, H)), rng.standard_normal((d, H))   # W1[j, i, h]
    w2, b2 = rng.standard_normal((d, H)), rng.standard_normal(d)
    def mean(X, j):
        if not A[:, j].any():
            return np.zeros(len(X))
        return np.tanh((X * A[:, j]) @ W1[j] + b1[j]) @ w2[j] + b2[j]

def sample(n, targets, psi):
    X = np.zeros((n, d))
    for j in order:
        if targets[j] and a.intervention == "hard":
            X[:, j] = psi[j] + sig_int * rng.standard_normal(n)
        else:
            # Shift (spec section 4, paper eq 13): the mechanism's output moved by psi_j, no extra noise.
            shift = psi[j] if targets[j] else 0.0
            X[:, j] = mean(X, j) + shift + sig_obs * rng.standard_normal(n)
    return X

def random_target_set(seen):
    while True:
        k = rng.integers(1, 3)
        s = tuple(sorted(rng.choice(d, size=k, replace=False).tolist()))
        if s not in seen:
            seen.add(s)
            return s

# Per-variable Hill function h_j(s) = a s^n / (K^n + s^n).
# Per-perturbation (paper D.1): each (perturbation, target) pair gets a Hill function of its own,
# so a fully-OOD perturbation brings new ones; drawn when the set is made.
hill_a, hill_K, hill_n = rng.uniform(1, 5, d), rng.uniform(0.5, 2, d), rng.integers(1, 5, d)
hill_of = lambda a_, K, n: (lambda s: a_ * s ** n / (K ** n + s ** n))
per_variable = [hill_of(hill_a[j], hill_K[j], hill_n[j]) for j in range(d)]
TRAIN, PARTIAL = doses(a.train_doses), doses(a.ood_doses)
hills = {}  # (set, j) -> Hill function, per-perturbation only
def hill_functions(s):
    if a.hill == "per-perturbation":
        for j in s:
            hills[(s, j)] = hill_of(rng.uniform(1, 5), rng.uniform(0.5, 2), rng.integers(1, 5))
    return s
hill = lambda s, j, dose: (hills[(s, j)] if a.hill == "per-perturbation" else per_variable[j])(dose)

seen = set()
train_sets = [hill_functions(random_target_set(seen)) for _ in range(a.perturbations)]
full_sets = [hill_functions(random_target_set(seen)) for _ in range(a.perturbations)]
envs = []  # (id, split, targets, psi, raw r_e)
def add(prefix, sets, doses, split):
    for pi, s in enumerate(sets):
        for dose in doses:
            t = np.zeros(d, dtype=int); t[list(s)] = 1
            psi = np.array([hill(s, j, dose) if t[j] else 0.0 for j in range(d)])
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

# New samples of every training env (split "train-fresh", same features): the in-distribution
# score against data no model was fitted to. Drawn after everything else, so the rest of the
# output is the same with and without them.
fresh = [(e[0] + "_fresh", e, row) for e, row in zip(envs, feats) if e[1] == "train"] if a.fresh_per_env > 0 else []
data += [(fid, sample(a.fresh_per_env, e[2], e[3])) for fid, e, _ in fresh]

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
    for eid, row in [(e[0], row) for e, row in zip(envs, feats)] + [(fid, row) for fid, _, row in fresh]:
        f.write(eid + "," + ",".join(f"{v:.7g}" for v in row) + "\n")
generator = {k: getattr(a, k) for k in ("graph", "mechanism", "intervention", "hill")}
default_family = all(generator[k] == v for k, v in (("graph", "er"), ("mechanism", "linear"), ("intervention", "hard"), ("hill", "per-variable")))
truth = {"variables": names, "graph": A.tolist(),
         "targets": {"observational": [0] * d, **{e[0]: e[2].tolist() for e in envs},
                     **{fid: e[2].tolist() for fid, e, _ in fresh}},
         "split": {"observational": "observational", **{e[0]: e[1] for e in envs},
                   **{fid: "train-fresh" for fid, _, _ in fresh}}}
if not default_family:  # the default's truth.json stays byte-identical
    truth["generator"] = {**generator, "seed": a.seed, "d": d, "edges_per_node": a.edges_per_node}
with open(os.path.join(a.out, "truth.json"), "w") as f:
    json.dump(truth, f)
print(f"wrote {a.out}: d={d}, {a.graph}, {a.mechanism}, {a.intervention}, {int(A.sum())} edges, "
      f"{len(envs)} perturbed envs + observational" + (f" + {len(fresh)} train-fresh" if fresh else ""))

#!/usr/bin/env python3
"""Independent synthetic-data generator for a manual check of gim-webgpu (not used by CI).

Written from the spec (shared/spec/gim-objective.md §9) and the dataset format alone; it
shares no code with gim/synthetic.ts. It writes a dataset folder:

  samples.csv   env,x1,...,xd            one row per sample
  features.csv  env,f1,...,fp            one row per env; the observational env is all 0
  truth.json    {variables, graph (graph[i][j] = 1 iff i -> j), targets, split}

The system:
  * graph: Erdős–Rényi DAG with `--edges-per-node` expected edges per node: a strictly
    lower-triangular Bernoulli(2E/(d(d-1))) matrix in a random node order;
  * mechanisms: linear, x_j = sum_i w_ij x_i + eps_j, w ~ U([-2,-0.5] ∪ [0.5,2]),
    eps_j ~ N(0, 0.1);
  * perturbations: each hard-intervenes on 1 or 2 variables (size 1 or 2 with equal
    probability, then a uniform subset). Under dosage s a target j is set to
    v_j(s) + N(0, sigma_int^2), with a saturating dose response v_j(s) = a_j tanh(s / K_j),
    a_j = ±U[1,4] (random sign), K_j ~ U[0.5,2], sigma_int = 0.2 (variance 0.04 ≠ 0.1);
  * splits: train = P perturbations × dosages {0.5,1,2,4}; partial-ood = the same
    perturbations × unseen dosages {0.75,1.5,3,6}; full-ood = Q new target sets (not used in
    train) × the train dosages;
  * samples: N_e per env, N_0 observational; all variables are z-scored with the
    observational env's mean and std (spec §9 "normalised data");
  * features: every variable j has a random embedding u_j ~ N(0, I_k); a perturbation with
    target set T has u_T = sum_{j in T} u_j, and env (T, s) gets r = [u_T, s * u_T]
    (identifies both the perturbation and the dosage, and lets unseen target sets be placed
    by their genes' embeddings). Columns are standardised with the train envs' statistics;
    the observational env's row is 0.
"""
import argparse
import json
import os

import numpy as np

TRAIN_DOSAGES = [0.5, 1.0, 2.0, 4.0]
OOD_DOSAGES = [0.75, 1.5, 3.0, 6.0]
SIGMA_OBS = np.sqrt(0.1)
SIGMA_INT = 0.2


def er_dag(rng, d, edges_per_node):
    p = min(1.0, 2.0 * edges_per_node * d / (d * (d - 1)))
    lower = np.tril(rng.random((d, d)) < p, k=-1).astype(int)  # lower[a, b] = 1: b -> a
    order = rng.permutation(d)  # position a holds node order[a]
    graph = np.zeros((d, d), dtype=int)
    for a in range(d):
        for b in range(d):
            if lower[a, b]:
                graph[order[b], order[a]] = 1  # earlier position -> later position
    return graph, [int(v) for v in order]


def weights(rng, graph):
    mag = rng.uniform(0.5, 2.0, size=graph.shape)
    sign = rng.choice([-1.0, 1.0], size=graph.shape)
    return graph * mag * sign


def draw_target_sets(rng, d, count, exclude):
    sets = []
    seen = set(exclude)
    tries = 0
    while len(sets) < count:
        tries += 1
        if tries > 100000:
            raise RuntimeError("not enough distinct target sets")
        size = 1 if rng.random() < 0.5 else 2
        t = tuple(sorted(int(v) for v in rng.choice(d, size=size, replace=False)))
        if t in seen:
            continue
        seen.add(t)
        sets.append(t)
    return sets


def sample_env(rng, n, W, topo, targets, values):
    d = W.shape[0]
    x = np.zeros((n, d))
    for j in topo:
        if j in targets:
            x[:, j] = values[j] + SIGMA_INT * rng.standard_normal(n)
        else:
            x[:, j] = x @ W[:, j] + SIGMA_OBS * rng.standard_normal(n)
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--edges-per-node", type=float, default=1.0)
    ap.add_argument("--perturbations", type=int, default=10, help="train perturbations (target sets)")
    ap.add_argument("--ood-perturbations", type=int, default=10, help="fully-OOD target sets")
    ap.add_argument("--n-per-env", type=int, default=100)
    ap.add_argument("--n-obs", type=int, default=1000)
    ap.add_argument("--embed-dim", type=int, default=8)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    d = args.d
    names = [f"x{j + 1}" for j in range(d)]
    graph, topo = er_dag(rng, d, args.edges_per_node)
    W = weights(rng, graph)

    # dose response per variable
    amp = rng.uniform(1.0, 4.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    K = rng.uniform(0.5, 2.0, size=d)

    def dose_values(T, s):
        return {j: amp[j] * np.tanh(s / K[j]) for j in T}

    train_sets = draw_target_sets(rng, d, args.perturbations, [])
    ood_sets = draw_target_sets(rng, d, args.ood_perturbations, train_sets)
    embed = rng.standard_normal((d, args.embed_dim))

    envs = []  # (id, split, target set, dosage)
    envs.append(("obs", "observational", (), 0.0))
    for p, T in enumerate(train_sets):
        for s in TRAIN_DOSAGES:
            envs.append((f"p{p}_s{s:g}", "train", T, s))
    for p, T in enumerate(train_sets):
        for s in OOD_DOSAGES:
            envs.append((f"p{p}_s{s:g}", "partial-ood", T, s))
    for q, T in enumerate(ood_sets):
        for s in TRAIN_DOSAGES:
            envs.append((f"q{q}_s{s:g}", "full-ood", T, s))

    raw = {}
    for eid, split, T, s in envs:
        n = args.n_obs if split == "observational" else args.n_per_env
        raw[eid] = sample_env(rng, n, W, topo, set(T), dose_values(T, s))
    mu = raw["obs"].mean(axis=0)
    sd = raw["obs"].std(axis=0)
    data = {eid: (x - mu) / sd for eid, x in raw.items()}

    feats = {}
    for eid, split, T, s in envs:
        if split == "observational":
            continue
        u = embed[list(T)].sum(axis=0)
        feats[eid] = np.concatenate([u, s * u])
    train_rows = np.array([feats[e[0]] for e in envs if e[1] == "train"])
    fmu = train_rows.mean(axis=0)
    fsd = train_rows.std(axis=0)
    fsd[fsd == 0] = np.inf  # a constant column becomes 0
    feats = {eid: (f - fmu) / fsd for eid, f in feats.items()}
    feats["obs"] = np.zeros(2 * args.embed_dim)
    for eid, f in feats.items():
        if eid != "obs" and not np.any(f != 0):
            raise RuntimeError(f"env {eid} has all-zero features")

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "samples.csv"), "w") as fh:
        fh.write("env," + ",".join(names) + "\n")
        for eid, _, _, _ in envs:
            for row in data[eid]:
                fh.write(eid + "," + ",".join(f"{v:.6g}" for v in row) + "\n")
    p = 2 * args.embed_dim
    with open(os.path.join(args.out, "features.csv"), "w") as fh:
        fh.write("env," + ",".join(f"f{k + 1}" for k in range(p)) + "\n")
        for eid, _, _, _ in envs:
            fh.write(eid + "," + ",".join("0" if v == 0 else f"{v:.6g}" for v in feats[eid]) + "\n")
    truth = {
        "variables": names,
        "graph": graph.tolist(),
        "targets": {eid: [1 if j in T else 0 for j in range(d)] for eid, _, T, _ in envs},
        "split": {eid: split for eid, split, _, _ in envs},
    }
    with open(os.path.join(args.out, "truth.json"), "w") as fh:
        json.dump(truth, fh)
        fh.write("\n")
    n_edges = int(graph.sum())
    counts = {s: sum(1 for e in envs if e[1] == s) for s in ("train", "partial-ood", "full-ood")}
    print(f"wrote {args.out}: d={d}, {n_edges} edges, envs {counts}, "
          f"{sum(len(x) for x in data.values())} samples, {p} features; "
          f"train target sets {train_sets}; full-OOD target sets {ood_sets}")


if __name__ == "__main__":
    main()

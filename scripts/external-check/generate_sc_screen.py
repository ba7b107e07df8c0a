#!/usr/bin/env python3
"""Independent simulator of a single-cell drug-perturbation (dose) screen.

Written from a plain-language spec only, without looking at the project's own
simulator (`gim synth --counts`), so that it can serve as an external check.
Dependencies: numpy and h5py only.  Output: an AnnData-layout .h5ad written
with h5py, plus `<same path>.truth.json` holding the ground truth.

Usage:
  /usr/bin/python3 scripts/external-check/generate_sc_screen.py \
      --out DIR/screen.h5ad [--seed S] [--genes 2000] [--responsive 40] \
      [--cells-per-dose 400] [--control-cells 1000] [--no-compress] [--report]

Design (deliberately NOT "tanh of parents plus an additive drug shift"):
  * Design: 3 cell lines (LineA/B/C) x 4 drugs (DrugW/X/Y/Z) x 4 doses
    (10, 100, 1000, 10000 nM), --cells-per-dose cells each, plus
    --control-cells "Vehicle" cells (dose 0) per line.  Row order is shuffled.
  * Latent scale: z_j is the natural-log mean expression of gene j at unit
    size factor.  Baseline b_j(line) = L_j (shared gene base level) + a line
    offset ~ N(0, 0.3^2).  Background genes: log-mean L_j + line offset, no
    response to anything.
  * Network: --responsive genes (a random subset of all genes, not the first
    ones) in a random topological order; each non-root gene takes 0..3 parents
    among earlier genes (P = .20/.45/.30/.05, ~1.2 edges per gene), weights
    +-U[0.6, 1.4].  Structural equation, evaluated in topological order:
        z_j = b_j + sum_i w_ij * s(z_i - b_i) + eps_j,
    with s(x) = x / (1 + |x|) (softsign: slow, algebraic saturation rather
    than tanh's exponential one) and eps_j ~ N(0, sd_j^2), sd_j ~ U[.25, .35].
  * Drugs: each drug hits 1..3 responsive genes (distinct across drugs while
    enough genes exist).  Per hit a Hill fraction h(d) = d^n / (K^n + d^n),
    n in {1,2,3} per hit, K log-uniform in [300, 6000] nM per (drug, target,
    line), and one of two kinds chosen at random:
      shift: z_j = b_j + parents + effect*h + eps_j
      clamp: z_j = (1-h)*(b_j + parents) + h*(b_j + effect) + eps_j
             (dose-dependent move toward a fixed level that cuts the parents'
             influence in proportion to h; the cell's own noise eps_j stays),
    effect = +-U[1.2, 2.5] for both kinds.  Effects propagate downstream
    through the network via s().
  * Counts: size factor s_c = exp(N(-0.045, 0.3^2)) (mean ~1); mean
    mu_cj = s_c * exp(z_cj) (background: s_c * exp(b_j)); base levels are
    log-normal, clipped to [0.01, 80] and rescaled so the expected library is
    ~2,500 counts after dropout; responsive genes get base means in [1.5, 15].
    Counts ~ Poisson(mu * G), G ~ Gamma(1/phi_j, phi_j) (negative binomial,
    per-gene dispersion phi_j log-uniform in [0.03, 0.4]); then each nonzero
    count is zeroed with a gene-specific technical dropout prob U[0, 0.3].
  * Everything is drawn from numpy.random.default_rng(seed); counts are
    generated in blocks of shuffled rows and appended to a CSR matrix on disk.
"""

import argparse
import json
import os
import sys
import time

import h5py
import numpy as np

LINES = ["LineA", "LineB", "LineC"]
DRUGS = ["DrugW", "DrugX", "DrugY", "DrugZ"]
CONTROL = "Vehicle"
DOSES = [10.0, 100.0, 1000.0, 10000.0]
BLOCK_ROWS = 2000
TARGET_LIBRARY = 2500.0


def softsign(x):
    return x / (1.0 + np.abs(x))


def hill(dose, k, n):
    dn = np.power(dose, n)
    return dn / (np.power(k, n) + dn)


# ----------------------------------------------------------------------------
# Ground-truth model
# ----------------------------------------------------------------------------

def build_model(rng, n_genes, n_resp):
    if n_resp < 1 or n_resp >= n_genes:
        raise SystemExit("--responsive must be between 1 and --genes - 1")
    n_lines = len(LINES)
    names = ["g%04d" % j for j in range(n_genes)] if n_genes <= 10000 else \
        ["g%0*d" % (len(str(n_genes - 1)), j) for j in range(n_genes)]

    # responsive genes: random subset, random topological order
    resp = rng.choice(n_genes, size=n_resp, replace=False)  # topo order
    is_resp = np.zeros(n_genes, bool)
    is_resp[resp] = True

    # technical parameters (per gene)
    phi = np.exp(rng.uniform(np.log(0.03), np.log(0.4), n_genes))
    dropout = rng.uniform(0.0, 0.3, n_genes)

    # base levels (log mean at unit size factor)
    L = np.clip(rng.normal(np.log(0.4), 1.4, n_genes), np.log(0.01), np.log(80.0))
    L[resp] = rng.uniform(np.log(1.5), np.log(15.0), n_resp)
    keep = 1.0 - dropout
    resp_lib = np.sum(np.exp(L[resp]) * keep[resp])
    bg = ~is_resp
    bg_lib = np.sum(np.exp(L[bg]) * keep[bg])
    want_bg = max(TARGET_LIBRARY - resp_lib, 0.2 * TARGET_LIBRARY)
    L[bg] += np.log(want_bg / bg_lib)
    L[bg] = np.clip(L[bg], np.log(0.005), np.log(120.0))

    offsets = rng.normal(0.0, 0.3, (n_lines, n_genes))
    base = L[None, :] + offsets  # b_j(line), shape (lines, genes)

    # DAG over responsive genes (positions in topo order)
    parents = [[] for _ in range(n_resp)]  # list of (parent_pos, weight)
    edges = []
    for k in range(1, n_resp):
        m = rng.choice(4, p=[0.20, 0.45, 0.30, 0.05])
        m = min(m, k)
        if m == 0:
            continue
        for p in sorted(rng.choice(k, size=m, replace=False)):
            w = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.6, 1.4))
            parents[k].append((int(p), w))
            edges.append([names[resp[p]], names[resp[k]], round(w, 4)])
    noise_sd = rng.uniform(0.25, 0.35, n_resp)

    # drugs -> hits (positions in topo order)
    pool = list(rng.permutation(n_resp))
    hits = {}
    for d in DRUGS:
        m = int(rng.integers(1, 4))
        chosen = []
        while len(chosen) < m:
            if not pool:
                pool = [p for p in rng.permutation(n_resp) if p not in chosen]
                if not pool:
                    break
            p = pool.pop()
            if p not in chosen:
                chosen.append(int(p))
        lst = []
        for p in chosen:
            kind = "shift" if rng.random() < 0.5 else "clamp"
            eff = float(rng.choice([-1.0, 1.0]) * rng.uniform(1.2, 2.5))
            n = int(rng.integers(1, 4))
            K = np.exp(rng.uniform(np.log(300.0), np.log(6000.0), n_lines))
            lst.append(dict(pos=p, kind=kind, effect=eff, n=n, K=K))
        hits[d] = lst

    return dict(names=names, resp=resp, is_resp=is_resp, phi=phi,
                dropout=dropout, L=L, base=base, parents=parents, edges=edges,
                noise_sd=noise_sd, hits=hits)


def simulate_block(rng, model, line_idx, drug_idx, dose):
    """Counts (rows x genes, float64) for one block of cells."""
    nb = line_idx.shape[0]
    resp = model["resp"]
    n_resp = resp.shape[0]
    base = model["base"]
    n_genes = base.shape[1]

    # per-row intervention tensors over responsive positions
    shift = np.zeros((nb, n_resp))
    clamp_h = np.zeros((nb, n_resp))
    clamp_eff = np.zeros((nb, n_resp))
    for di, d in enumerate(DRUGS):
        rows = np.nonzero(drug_idx == di)[0]
        if rows.size == 0:
            continue
        for hit in model["hits"][d]:
            h = hill(dose[rows], hit["K"][line_idx[rows]], hit["n"])
            if hit["kind"] == "shift":
                shift[rows, hit["pos"]] += hit["effect"] * h
            else:
                clamp_h[rows, hit["pos"]] = h
                clamp_eff[rows, hit["pos"]] = hit["effect"]

    # latent structural equations in topological order
    b = base[line_idx][:, resp]  # (nb, n_resp)
    z = np.empty((nb, n_resp))
    eps = rng.normal(0.0, 1.0, (nb, n_resp)) * model["noise_sd"][None, :]
    for k in range(n_resp):
        nat = b[:, k].copy()
        for p, w in model["parents"][k]:
            nat += w * softsign(z[:, p] - b[:, p])
        hk = clamp_h[:, k]
        zk = (1.0 - hk) * nat + hk * (b[:, k] + clamp_eff[:, k])
        z[:, k] = zk + shift[:, k] + eps[:, k]

    logmu = base[line_idx].copy()  # (nb, genes)
    logmu[:, resp] = z
    size = np.exp(rng.normal(-0.045, 0.3, nb))
    mu = size[:, None] * np.exp(logmu)

    phi = model["phi"]
    shape = 1.0 / phi
    g = rng.gamma(np.broadcast_to(shape, (nb, n_genes)), np.broadcast_to(phi, (nb, n_genes)))
    counts = rng.poisson(mu * g).astype(np.float64)
    drop = rng.random((nb, n_genes)) < model["dropout"][None, :]
    counts[drop] = 0.0
    return counts


# ----------------------------------------------------------------------------
# h5ad writing (AnnData on-disk layout, h5py only)
# ----------------------------------------------------------------------------

STR = h5py.string_dtype(encoding="utf-8")


def set_enc(obj, etype, ver):
    obj.attrs["encoding-type"] = etype
    obj.attrs["encoding-version"] = ver


def write_strings(group, name, values):
    ds = group.create_dataset(name, data=np.array(values, dtype=object), dtype=STR)
    set_enc(ds, "string-array", "0.2.0")
    return ds


def write_categorical(group, name, categories, codes):
    g = group.create_group(name)
    set_enc(g, "categorical", "0.2.0")
    g.attrs["ordered"] = np.bool_(False)
    write_strings(g, "categories", categories)
    c = g.create_dataset("codes", data=np.asarray(codes, dtype=np.int8))
    set_enc(c, "array", "0.2.0")


def write_dataframe_attrs(g, columns):
    set_enc(g, "dataframe", "0.2.0")
    g.attrs["_index"] = "_index"
    if columns:
        g.attrs["column-order"] = np.array(columns, dtype=object)
    else:
        g.attrs["column-order"] = np.array([], dtype=np.float64)  # as anndata writes it


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output path ending in .h5ad")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--genes", type=int, default=2000)
    ap.add_argument("--responsive", type=int, default=40)
    ap.add_argument("--cells-per-dose", type=int, default=400)
    ap.add_argument("--control-cells", type=int, default=1000)
    ap.add_argument("--no-compress", action="store_true", help="write X without gzip")
    ap.add_argument("--report", action="store_true", help="read the file back and print checks")
    a = ap.parse_args()
    if not a.out.endswith(".h5ad"):
        raise SystemExit("--out must end in .h5ad")
    t0 = time.time()
    out_dir = os.path.dirname(os.path.abspath(a.out))
    os.makedirs(out_dir, exist_ok=True)
    truth_path = a.out[: -len(".h5ad")] + ".truth.json"

    rng = np.random.default_rng(a.seed)
    model = build_model(rng, a.genes, a.responsive)
    names = model["names"]

    # ---- cell design, shuffled ----
    li, di, ds = [], [], []
    for l in range(len(LINES)):
        for d in range(len(DRUGS)):
            for dose in DOSES:
                li.append(np.full(a.cells_per_dose, l))
                di.append(np.full(a.cells_per_dose, d))
                ds.append(np.full(a.cells_per_dose, dose))
        li.append(np.full(a.control_cells, l))
        di.append(np.full(a.control_cells, len(DRUGS)))  # Vehicle
        ds.append(np.zeros(a.control_cells))
    line_idx = np.concatenate(li).astype(np.int64)
    drug_idx = np.concatenate(di).astype(np.int64)
    dose = np.concatenate(ds).astype(np.float64)
    perm = rng.permutation(line_idx.shape[0])
    line_idx, drug_idx, dose = line_idx[perm], drug_idx[perm], dose[perm]
    n_cells = line_idx.shape[0]
    width = max(5, len(str(n_cells)))
    cell_names = ["cell%0*d" % (width, i + 1) for i in range(n_cells)]

    # product_name categories in lexicographic order (as pandas would sort)
    prod_names = DRUGS + [CONTROL]
    prod_cats = sorted(prod_names)
    prod_codes = np.array([prod_cats.index(prod_names[k]) for k in drug_idx], dtype=np.int8)
    line_cats = sorted(LINES)
    line_codes = np.array([line_cats.index(LINES[k]) for k in line_idx], dtype=np.int8)

    comp = {} if a.no_compress else dict(compression="gzip", compression_opts=4)
    chunk = 1 << 18
    with h5py.File(a.out, "w") as f:
        set_enc(f, "anndata", "0.1.0")
        X = f.create_group("X")
        set_enc(X, "csr_matrix", "0.1.0")
        X.attrs["shape"] = np.array([n_cells, a.genes], dtype=np.int64)
        d_data = X.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(chunk,), **comp)
        d_ind = X.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(chunk,), **comp)
        indptr = np.zeros(n_cells + 1, dtype=np.int64)
        nnz = 0
        for start in range(0, n_cells, BLOCK_ROWS):
            stop = min(n_cells, start + BLOCK_ROWS)
            counts = simulate_block(rng, model, line_idx[start:stop], drug_idx[start:stop], dose[start:stop])
            r, c = np.nonzero(counts)  # row-major order -> CSR order
            vals = counts[r, c].astype(np.float32)
            indptr[start + 1: stop + 1] = nnz + np.cumsum(np.bincount(r, minlength=stop - start))
            d_data.resize((nnz + vals.size,))
            d_ind.resize((nnz + vals.size,))
            d_data[nnz:] = vals
            d_ind[nnz:] = c.astype(np.int32)
            nnz += vals.size
        X.create_dataset("indptr", data=indptr, **comp)

        obs = f.create_group("obs")
        write_dataframe_attrs(obs, ["cell_type", "product_name", "dose"])
        write_strings(obs, "_index", cell_names)
        write_categorical(obs, "cell_type", line_cats, line_codes)
        write_categorical(obs, "product_name", prod_cats, prod_codes)
        dd = obs.create_dataset("dose", data=dose)
        set_enc(dd, "array", "0.2.0")

        var = f.create_group("var")
        write_dataframe_attrs(var, [])
        write_strings(var, "_index", names)

        for k in ("layers", "obsm", "obsp", "uns", "varm", "varp"):
            set_enc(f.create_group(k), "dict", "0.1.0")

    # ---- truth ----
    resp = model["resp"]
    truth = {
        "cellLines": LINES,
        "drugs": DRUGS,
        "doses": [int(x) for x in DOSES],
        "control": CONTROL,
        "responsiveGenes": sorted(names[j] for j in resp),
        "edges": model["edges"],
        "targets": {d: [names[resp[h["pos"]]] for h in model["hits"][d]] for d in DRUGS},
        "effects": {
            d: [
                {
                    "gene": names[resp[h["pos"]]],
                    "kind": h["kind"],
                    "effect": round(h["effect"], 4),
                    "hillN": h["n"],
                    "K": {LINES[l]: round(float(h["K"][l]), 2) for l in range(len(LINES))},
                }
                for h in model["hits"][d]
            ]
            for d in DRUGS
        },
        "generator": (
            "scripts/external-check/generate_sc_screen.py seed=%d: random DAG on natural-log "
            "mean scale, z_j = b_j(line) + sum w*softsign(z_i - b_i) + N(0, ~0.3^2); drug hits "
            "Hill h = d^n/(K^n+d^n) per line, kind shift (z += effect*h) or clamp "
            "(z = (1-h)*natural + h*(b+effect)); NB (gamma-Poisson) counts with per-gene "
            "dispersion, log-normal size factors, gene-specific dropout 0-0.3" % a.seed
        ),
    }
    with open(truth_path, "w") as fh:
        json.dump(truth, fh, indent=1)

    print("wrote %s (%d cells x %d genes, nnz %d, density %.3f) and %s in %.1fs"
          % (a.out, n_cells, a.genes, nnz, nnz / float(n_cells * a.genes), truth_path, time.time() - t0))
    if a.report:
        report(a.out, truth)


# ----------------------------------------------------------------------------
# Read-back checks (h5py only)
# ----------------------------------------------------------------------------

def report(path, truth):
    with h5py.File(path, "r") as f:
        shape = tuple(int(x) for x in f["X"].attrs["shape"])
        data = f["X/data"][:]
        indices = f["X/indices"][:]
        indptr = f["X/indptr"][:]
        line_cats = [s.decode() for s in f["obs/cell_type/categories"][:]]
        prod_cats = [s.decode() for s in f["obs/product_name/categories"][:]]
        line = f["obs/cell_type/codes"][:]
        prod = f["obs/product_name/codes"][:]
        dose = f["obs/dose"][:]
        genes = [s.decode() for s in f["var/_index"][:]]
        cells0 = [s.decode() for s in f["obs/_index"][:3]]
    n_cells, n_genes = shape
    print("X shape", shape, "nnz", data.size, "indptr", indptr.dtype, "first cells", cells0)
    print("cell_type categories", line_cats, "counts", np.bincount(line).tolist())
    print("product_name categories", prod_cats, "counts", np.bincount(prod).tolist())
    print("doses", sorted(set(dose.tolist())))
    csum = np.concatenate([[0.0], np.cumsum(data, dtype=np.float64)])
    totals = csum[indptr[1:]] - csum[indptr[:-1]]
    q = np.quantile(totals, [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1])
    print("total counts per cell quantiles (0,1,5,25,50,75,95,99,100%):",
          " ".join("%.0f" % x for x in q))
    print("fraction of cells with >=200 counts: %.4f" % np.mean(totals >= 200))
    med = np.median(totals)
    row = np.repeat(np.arange(n_cells), np.diff(indptr))
    gmean = np.bincount(indices, weights=data, minlength=n_genes) / n_cells
    print("gene mean counts quantiles (5,25,50,75,95%):",
          " ".join("%.3g" % x for x in np.quantile(gmean, [0.05, 0.25, 0.5, 0.75, 0.95])))
    gidx = {g: j for j, g in enumerate(genes)}
    resp_cols = np.array([gidx[g] for g in truth["responsiveGenes"]])
    ncells_expr = np.bincount(indices, minlength=n_genes)
    print("responsive genes: cells expressing, min %d median %d"
          % (ncells_expr[resp_cols].min(), np.median(ncells_expr[resp_cols])))

    # dense log1p-normalised matrix for responsive genes only
    col_map = -np.ones(n_genes, dtype=np.int64)
    col_map[resp_cols] = np.arange(resp_cols.size)
    sel = col_map[indices] >= 0
    Y = np.zeros((n_cells, resp_cols.size))
    Y[row[sel], col_map[indices[sel]]] = np.log1p(data[sel] / totals[row[sel]] * med)
    ctrl_code = prod_cats.index(truth["control"])
    doses = truth["doses"]

    def shift_table(drug):
        pc = prod_cats.index(drug)
        out = np.zeros((len(doses), resp_cols.size))
        for l in range(len(line_cats)):
            base = Y[(line == l) & (prod == ctrl_code)].mean(0)
            for k, dv in enumerate(doses):
                out[k] += Y[(line == l) & (prod == pc) & (dose == dv)].mean(0) - base
        return out / len(line_cats)

    print("mean log1p(norm) shift vs Vehicle, averaged over lines; doses", doses)
    big = 0
    ntar = 0
    for drug in truth["drugs"]:
        tab = shift_table(drug)
        for e in truth["effects"][drug]:
            j = truth["responsiveGenes"].index(e["gene"])
            v = tab[:, j]
            ntar += 1
            big += abs(v[-1]) > 0.3
            print("  %s %s %-5s eff %+.2f n=%d K=%s : %s" % (
                drug, e["gene"], e["kind"], e["effect"], e["hillN"],
                "/".join("%.0f" % e["K"][l] for l in truth["cellLines"]),
                " ".join("%+.3f" % x for x in v)))
        others = [j for j, g in enumerate(truth["responsiveGenes"]) if g not in truth["targets"][drug]]
        moved = int(np.sum(np.abs(tab[-1, others]) > 0.2))
        print("    %s: non-target responsive genes with |shift|>0.2 at top dose: %d" % (drug, moved))
    print("targets with |shift| > 0.3 at %d nM: %d / %d" % (doses[-1], big, ntar))


if __name__ == "__main__":
    main()

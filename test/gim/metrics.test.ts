/** Metrics of spec §10 against hand-derived values and brute force. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { edgeF1, entropicWasserstein, kdeNll, meanDistance, pearson, sid, targetF1 } from "../../gim/metrics.js";
import { erdosRenyi } from "../../gim/graph-utils.js";

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test("Edge-F1 and Target-F1, including the empty case", () => {
  const truth = [[0, 1, 0], [0, 0, 1], [0, 0, 0]];
  assert.is(edgeF1(truth, truth), 1);
  assert.is(edgeF1(truth, [[0, 1, 0], [0, 0, 0], [0, 1, 0]]), (2 * 1) / (2 * 1 + 1 + 1));
  assert.is(edgeF1([[0, 0], [0, 0]], [[0, 0], [0, 0]]), 0);
  assert.is(targetF1([[1, 0], [0, 1]], [[1, 1], [0, 0]]), (2 * 1) / (2 + 1 + 1));
});

test("SID: identical graphs 0; hand-derived values (Peters & Bühlmann's definition)", () => {
  const chain = [[0, 1, 0], [0, 0, 1], [0, 0, 0]]; // 0 → 1 → 2
  const empty = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  assert.is(sid(chain, chain), 0);
  // Estimate empty: every Z = ∅. Pairs (i, j) with j a descendant of i are fine (total effect
  // needs no adjustment: no back-door paths in a chain): (0,1), (0,2), (1,2) correct. Pairs
  // with j a non-descendant of i: (1,0): ∅ is a valid adjustment (no effect, 1 and 0 … the
  // back-door criterion for a null effect holds iff i ⟂ j in G minus i's outgoing edges: 0 → 1
  // remains, so 1 and 0 are d-connected) ⇒ error; likewise (2,1) and (2,0) ⇒ 3 errors.
  assert.is(sid(chain, empty), 3);
  // The true empty graph, estimated as the chain: Z = pa(1) = {0} for i = 1 is harmless (no
  // edges in G), so every pair is correct.
  assert.is(sid(empty, chain), 0);
  // Reversed chain 2 → 1 → 0 as the estimate of 0 → 1 → 2: i = 1 has Z = {2}, a descendant of
  // 1 in G: (1,2) is wrong (2 ∈ Z and 2 ∈ De(1)) and (1,0): Z = {2} ∈ Forb = De(CN) ∪ {1}? CN = ∅
  // for j = 0, Forb = {1}; Z ∩ Forb = ∅; does {2} d-separate 1 and 0 in G? No (0 → 1) ⇒ wrong.
  // i = 0 has Z = {1} ∋ j = 1 ∈ De(0) ⇒ (0,1) wrong; (0,2): Z = {1} ⊂ Forb (CN = {1, 2}) ⇒ wrong.
  // i = 2 has Z = ∅: (2,0), (2,1): 2 has no outgoing edges in G, but 2 is d-connected to 0 and
  // 1 ⇒ both wrong. Total 6 = all pairs.
  assert.is(sid(chain, [[0, 0, 0], [1, 0, 0], [0, 1, 0]]), 6);
});

test("SID: a supergraph of the true DAG (adding edges only among parents) stays valid", () => {
  // G: 0 → 2 ← 1 (collider). Ĝ adds 0 → 1: pa_Ĝ(1) = {0}, a valid adjustment set for (1, 2)
  // (0 is not a descendant of 1 and blocks nothing needed) and for (1, 0) (no effect; 0 ⟂ 1
  // given {0} trivially… j ∈ Z: 0 ∉ De_G(1) ⇒ correct). All pairs correct ⇒ 0.
  const G = [[0, 0, 1], [0, 0, 1], [0, 0, 0]];
  assert.is(sid(G, [[0, 1, 1], [0, 0, 1], [0, 0, 0]]), 0);
  // Random DAGs: SID(G, G) = 0 always, and SID ≤ d(d−1).
  const rng = new HostRandom(3);
  for (let k = 0; k < 10; k++) {
    const g = erdosRenyi(6, 1.5, rng);
    const h = erdosRenyi(6, 1.5, rng);
    assert.is(sid(g, g), 0);
    const s = sid(g, h);
    assert.ok(s >= 0 && s <= 30);
  }
});

test("KDE-NLL with one predicted point equals the Gaussian closed form", () => {
  const d = 2;
  const xhat = [0.5, -1];
  const x = [1, 0, -0.5, 2];
  const h = 1; // n = 1 ⇒ h = 1^{−1/(d+4)} = 1
  const nll = (p: number[]) => ((p[0] - 0.5) ** 2 + (p[1] + 1) ** 2) / (2 * h * h) + d * Math.log(h) + (d / 2) * Math.log(2 * Math.PI);
  close(kdeNll(xhat, x, d), (nll([1, 0]) + nll([-0.5, 2])) / 2, 1e-12, "KDE-NLL");
});

test("W_ε: one point each is the squared distance; tiny clouds approach the assignment cost", () => {
  close(entropicWasserstein([1, 2], [4, 6], 2), 25, 1e-9, "n = m = 1");
  const xhat = [0, 0, 10, 0];
  const x = [10.1, 0, 0.2, 0];
  // Best assignment: (0 ↔ 0.2), (10 ↔ 10.1): cost (0.04 + 0.01)/2 = 0.025; the plan ½·I has
  // KL(P ‖ a⊗b) = log 2, so W_ε → 0.025 + ε log 2 as ε → 0.
  close(entropicWasserstein(xhat, x, 2, 1e-3, 1e-9, 5000), 0.025 + 1e-3 * Math.log(2), 1e-4, "2 points");
  close(entropicWasserstein(x, xhat, 2, 1e-3, 1e-9, 5000), entropicWasserstein(xhat, x, 2, 1e-3, 1e-9, 5000), 1e-6, "symmetry");
});

test("mean distance and Pearson", () => {
  close(meanDistance([0, 0, 2, 2], [1, 1, 1, 1], 2), 0, 1e-12, "same means");
  close(meanDistance([3, 4], [0, 0], 2), 5, 1e-12, "3-4-5");
  close(pearson([1, 2, 3], [2, 4, 6]), 1, 1e-12, "+1");
  close(pearson([1, 2, 3], [3, 2, 1]), -1, 1e-12, "−1");
});

test.run();

/**
 * WGSL for pairLogsumexp (kernels/pair-logsumexp.ts), generated per (R, d) with the r and j loops
 * unrolled (kernels/unroll.ts says why): the bindings, prelude and body of each declaration;
 * pair-logsumexp.ts adds the params {M, N, E, logR} and the workgroup size (override WG): 64
 * lanes, except fwd and bwd, whose chunk of one env's samples is as wide as the envs need
 * (chunkLanes: 8–32, so that minibatches of a few rows per env do not leave most lanes idle).
 *
 * table:  0 env [N] read; 1 T write, one workgroup per env. T = [lo_e, hi_e (2E) | chunk start cs_e
 *         (E+1) | env copy (N)]: lo_e/hi_e = first/last+1 sample of env e, cs_e = Σ_{e'<e} ⌈(hi−lo)/L⌉
 *         with L the chunk width of fwd and bwd (written by scan: 0 T read_write, one lane).
 * fwd:    0 a [M,N], 1 b [R,N], 2 P [M,N,d], 3 Q [E,R,d], 4 T read; 5 y [M,N] write. Without a
 *         (a = 0: hard interventions) every binding moves down by one; so for prep.
 * bwd:    0 cd [M,N,2] = (a − y − log R, ȳ), 1 b, 2 P, 3 Q, 4 T read;
 *         5 P̄ [M,N,d], 6 b̄ [R,N], 7 G [N,R,d] write (each one vector when not asked for), with
 *         log w = Λ − y − log R = cd₀ + b + P·Q, v = ȳ w: P̄ = Σ_r v Q, b̄ = Σ_m v, G = Σ_m v P.
 *   P, P̄ and G are bound as vec4 or vec2 rows when d allows (vectorWidth), cd as vec2.
 *   Grid ⌈N/L⌉ + E workgroups. Workgroup w takes L = WG consecutive samples of one env e (binary
 *   search of w in cs), so Q[e] is the same for all its lanes: it is staged in workgroup memory and
 *   read at constant addresses into named values, r-block by r-block (≤ BUDGET = 3,200 cached floats,
 *   12.5 KiB of workgroup memory, under WebGPU's default 16 KiB; half as many r when G is
 *   accumulated too). Each lane is one sample n: per m it copies P[m,n,:] into a private array
 *   with a short loop, names it, and does |block|·d FMAs. The logsumexp over r stays in the lane;
 *   across r-blocks y holds the partial LSE. Lanes without a sample of e (chunk tail, surplus
 *   workgroups, unsorted input) compute on a clamped sample and store nothing.
 *   Compile time (lavapipe's LLVM) is what bounds this design: storage loads and control flow in
 *   unrolled code are slow to compile (minutes at R·d = 640), workgroup-memory loads at constant
 *   addresses and private arrays filled by a loop are not; an early `return` tripled it. Each
 *   r-block repeats the P row's loads and its own unrolled code, so fewer, larger blocks compile
 *   faster and run faster: `npm run bench -- kernels --only=pairLogsumexp --gpu-only` (fwd + VJP,
 *   all gradients, M = R = 32, N = 9,000) with BUDGET 640 → 3,200, Mesa's shader cache off
 *   (session 16): d = 20 216 → 139 ms, 11 s → 11 s to start; d = 50 1,080 → 513 ms, 109 → 20 s;
 *   d = 100 2,424 → 664 ms, 647 → 79 s. Mesa's shader cache keeps compiles across runs.
 * prep:   0 a, 1 y, 2 ȳ read; 3 cd write; one lane per (m, n).
 * reduce: 0 G, 1 T read; 2 Q̄ [E,R,d] write; lanes over Q̄'s vectors (vectorWidth(d) floats of
 *         (r, j)), grid (⌈Rd/(64·w)⌉, E); sums G[n] over the env's samples in increasing n
 *         (deterministic, no atomics).
 */
import type { Binding, KernelSource } from "../engine/kernel.js";
import { gatherFloats, rowBinding, vecType, vectorAt, vectorWidth } from "./vector-rows.js";
import common from "../engine/common.wgsl";
import { blocks, lines, maxTree, seq, tree } from "./unroll.js";

export const LANES = 64;
/** Cached Q floats per r-block (see the header); a check case may pass a smaller one. */
export const BUDGET = 3200;

export interface BwdFlags {
  p: boolean;
  b: boolean;
  q: boolean;
}

/** The WGSL half of a declaration. */
export type Wgsl = Pick<KernelSource, "inputs" | "outputs" | "prelude" | "body">;

/** Workgroup → (env e, its 64 samples); lane → sample n, `live` if it exists and belongs to e. */
const CHUNK = `  let w = flat_group(wid, nwg);
  let E = P.E;
  let N = P.N;
  var e = 0u;
  var top = E;
  while (top - e > 1u) {
    let mid = (e + top) / 2u;
    if (u32(T[2u * E + mid]) <= w) { e = mid; } else { top = mid; }
  }
  let end = u32(T[2u * e + 1u]);
  let nr = u32(T[2u * e]) + (w - u32(T[2u * E + e])) * WG + lid.x;
  let n = min(nr, end - 1u);
  let live = nr < end && u32(T[3u * E + 1u + n]) == e;`;

/** Stages Q[e, r0..r1, :] in workgroup memory and names it q{r}_{j}; b[r, n] as b{r}. */
function loadBlock(r0: number, r1: number, R: number, d: number): string {
  const rs = seq(r1 - r0, r0);
  const size = (r1 - r0) * d;
  return `    workgroupBarrier();
    for (var k = lid.x; k < ${size}u; k += WG) { SQ[k] = Q[e * ${R * d}u + ${r0 * d}u + k]; }
    workgroupBarrier();
${lines(rs.flatMap((r) => seq(d).map((j) => `let q${r}_${j} = SQ[${(r - r0) * d + j}u];`)))}
    var bv: array<f32, ${r1 - r0}>;
    for (var r = 0u; r < ${r1 - r0}u; r++) { bv[r] = B[(${r0}u + r) * N + n]; }
${lines(rs.map((r) => `let b${r} = bv[${r - r0}u];`))}`;
}

/** Per m: P[m, n, :] named p{j}. */
const loadRow = (d: number) =>
  lines(
    [
      `let mn = m * N + n;`,
      `var pv: array<f32, ${d}>;`,
      gatherFloats("pv", "Pm", `mn * ${d / vectorWidth(d)}u`, d, vectorWidth(d)),
      ...seq(d).map((j) => `let p${j} = pv[${j}u];`),
    ],
    "      ",
  );
const dot = (r: number, d: number) => tree(seq(d).map((j) => `p${j} * q${r}_${j}`));

function kernel(
  inputs: Binding[],
  outputs: Binding[],
  parts: [number, number][],
  d: number,
  body: (r0: number, r1: number, k: number) => string,
): Wgsl {
  const largest = Math.max(...parts.map(([r0, r1]) => (r1 - r0) * d));
  return {
    inputs,
    outputs,
    prelude: `${common}\nvar<workgroup> SQ: array<f32, ${largest}>;`,
    body: `${CHUNK}\n${parts.map(([r0, r1], k) => `  {\n${body(r0, r1, k)}\n  }`).join("\n")}`,
  };
}

/** With `hasA` false the term a is 0 and not bound (the hard interventions' Λ has none). */
export function fwdSource(R: number, d: number, hasA: boolean, budget = BUDGET): Wgsl {
  const parts = blocks(R, Math.floor(budget / d));
  return kernel([...(hasA ? ["A"] : []), "B", rowBinding("Pm", d), "Q", "T"], ["Y"], parts, d, (r0, r1, k) => {
    const rs = seq(r1 - r0, r0);
    const exps = rs.map((r) => `exp(l${r} - hi)`);
    const merge =
      k === 0
        ? `let hi = top0;\n      let s = ${tree(exps)};`
        : `let prev = Y[mn];\n      let hi = max(prev, top0);\n      let s = exp(prev - hi) + ${tree(exps)};`;
    return `${loadBlock(r0, r1, R, d)}
    for (var m = 0u; m < P.M; m++) {
${loadRow(d)}
      let a = ${hasA ? "A[mn]" : "0.0"};
${lines(
  rs.map((r) => `let l${r} = a + b${r} + ${dot(r, d)};`),
  "      ",
)}
      let top0 = ${maxTree(rs.map((r) => `l${r}`))};
      ${merge}
      if (live) { Y[mn] = hi + log(s)${k === parts.length - 1 ? " - P.logR" : ""}; }
    }`;
  });
}

export function bwdSource(R: number, d: number, want: BwdFlags, budget = BUDGET): Wgsl {
  const parts = blocks(R, Math.floor(budget / (want.q ? 2 * d : d)));
  const w = vectorWidth(d);
  const inputs = [{ name: "CD", element: "vec2<f32>" }, "B", rowBinding("Pm", d), "Q", "T"];
  return kernel(inputs, [rowBinding("DP", d), "DB", rowBinding("DG", d)], parts, d, (r0, r1, k) => {
    const rs = seq(r1 - r0, r0);
    const rj = rs.flatMap((r) => seq(d).map((j) => [r, j] as const));
    const pbar = `      var hv: array<f32, ${d}>;
${lines(
  seq(d).map((j) => `hv[${j}u] = ${tree(rs.map((r) => `v${r} * q${r}_${j}`))};`),
  "      ",
)}
      if (live) {
        for (var j = 0u; j < ${d / w}u; j++) { DP[mn * ${d / w}u + j] = ${k === 0 ? "" : `DP[mn * ${d / w}u + j] + `}${vectorAt("hv", w)}; }
      }`;
    const bStore = `    var bo: array<f32, ${r1 - r0}>;
${lines(rs.map((r) => `bo[${r - r0}u] = bs${r};`))}
    if (live) { for (var r = 0u; r < ${r1 - r0}u; r++) { DB[(${r0}u + r) * N + n] = bo[r]; } }`;
    const gStore = `    var go: array<f32, ${(r1 - r0) * d}>;
${lines(rj.map(([r, j]) => `go[${(r - r0) * d + j}u] = g${r}_${j};`))}
    if (live) { for (var j = 0u; j < ${((r1 - r0) * d) / w}u; j++) { DG[n * ${(R * d) / w}u + ${(r0 * d) / w}u + j] = ${vectorAt("go", w)}; } }`;
    return `${loadBlock(r0, r1, R, d)}
${want.b ? lines(rs.map((r) => `var bs${r} = 0.0;`)) : ""}
${want.q ? lines(rj.map(([r, j]) => `var g${r}_${j} = 0.0;`)) : ""}
    for (var m = 0u; m < P.M; m++) {
${loadRow(d)}
      let cdv = CD[mn];
      let c = cdv.x;
      let dy = cdv.y;
${lines(
  rs.map((r) => `let v${r} = dy * exp(c + b${r} + ${dot(r, d)});`),
  "      ",
)}
${
  want.b
    ? lines(
        rs.map((r) => `bs${r} += v${r};`),
        "      ",
      )
    : ""
}
${
  want.q
    ? lines(
        rj.map(([r, j]) => `g${r}_${j} += v${r} * p${j};`),
        "      ",
      )
    : ""
}
${want.p ? pbar : ""}
    }
${want.b ? bStore : ""}
${want.q ? gStore : ""}`;
  });
}

/**
 * Workgroup e of E finds env e's sample range by a min/max tree over its lanes' strided scans
 * (N/64 loads a lane), and copies its share of env; `scanSource` then forms the chunk starts.
 * (It was one workgroup whose lanes each scanned all N samples for one env: ~5 ms at N = 9,000.)
 */
export const tableSource: Wgsl = {
  inputs: ["Env"],
  outputs: ["T"],
  prelude: `${common}\nvar<workgroup> range: array<vec2<u32>, WG>;`,
  body: `
  let e = flat_group(wid, nwg);
  let E = P.E;
  let N = P.N;
  if (e >= E) { return; }
  var lo = N;
  var hi = 0u;
  for (var n = lid.x; n < N; n += WG) {
    let hit = u32(Env[n]) == e;
    lo = select(lo, min(lo, n), hit);
    hi = select(hi, n + 1u, hit);
  }
  range[lid.x] = vec2<u32>(lo, hi);
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid.x < half) {
      let other = range[lid.x + half];
      range[lid.x] = vec2<u32>(min(range[lid.x].x, other.x), max(range[lid.x].y, other.y));
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    T[2u * e] = f32(min(range[0].x, range[0].y));
    T[2u * e + 1u] = f32(range[0].y);
  }
  for (var n = e * WG + lid.x; n < N; n += E * WG) { T[3u * E + 1u + n] = Env[n]; }`,
};

/** cs_e = Σ_{e' < e} ⌈(hi − lo)/lanes⌉ and the total, by one lane (E steps; after `table`). */
export function scanSource(lanes: number): Wgsl {
  return {
    inputs: [],
    outputs: ["T"],
    body: `
  if (lid.x != 0u) { return; }
  let E = P.E;
  var cs = 0u;
  for (var e = 0u; e < E; e++) {
    T[2u * E + e] = f32(cs);
    cs += (u32(T[2u * e + 1u]) - u32(T[2u * e]) + ${lanes - 1}u) / ${lanes}u;
  }
  T[3u * E] = f32(cs);`,
  };
}

/** ȳ per (m, n), or per m when the op's output is the row sum (sumRows: ȳ[m] for every n). */
export function prepSource(hasA: boolean, sumRows: boolean): Wgsl {
  return {
    inputs: [...(hasA ? ["A"] : []), "Y", "DY"],
    outputs: [{ name: "CD", element: "vec2<f32>" }],
    prelude: common,
    body: `
  let t = flat_id(wid, nwg, lid, WG);
  if (t >= P.M * P.N) { return; }
  CD[t] = vec2<f32>(${hasA ? "A[t] - " : "-"}Y[t] - P.logR, DY[${sumRows ? "t / P.N" : "t"}]);`,
  };
}

/** Lanes over Q̄'s vectors of vectorWidth(d) floats (rd = R·d floats per env). */
export function reduceSource(rd: number, d: number): Wgsl {
  const w = vectorWidth(d);
  const zero = `${vecType(w)}(0.0)`;
  return {
    inputs: [rowBinding("DG", d), "T"],
    outputs: [rowBinding("DQ", d)],
    body: `
  let k = wid.x * WG + lid.x;
  let kc = min(k, ${rd / w - 1}u);
  let e = wid.y;
  let E = P.E;
  let hi = u32(T[2u * e + 1u]);
  var s = ${zero};
  for (var n = u32(T[2u * e]); n < hi; n++) {
    s += select(${zero}, DG[n * ${rd / w}u + kc], u32(T[3u * E + 1u + n]) == e);
  }
  if (k < ${rd / w}u) { DQ[e * ${rd / w}u + k] = s; }`,
  };
}

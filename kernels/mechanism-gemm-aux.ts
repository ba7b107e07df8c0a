/**
 * WGSL of the small kernels around the mechanism GEMMs (kernels/mechanism-gemm.ts): one lane per
 * output element, 64 lanes, params {d, dp, H, M}. Layouts in kernels/mechanism-gemm-wgsl.ts.
 *
 * mech_gemm_prep:   0 G, 1 W1 [d,d,H] | Θ [d,d], (mlp) 2 b1, 3 w2, 4 b2, (gaussian) ℓ read;
 *                   GP [M,d,dp], WT [wtRows, dp] write.
 * mech_gemm_finish: 0 WB [M,d,H·dp] (Σ_chunks Xᵀ Ā), 1 PS [K·dp] (Σ of the partial sums), 2 G,
 *                   3 W1 | Θ read; W̄1 | Θ̄, Ḡ, (mlp) b̄1, w̄2, b̄2, (gaussian) ℓ̄ write.
 */
import type { KernelSource } from "../engine/kernel.js";
import common from "../engine/common.wgsl";

type Kind = "linear" | "mlp";
type Aux = Pick<KernelSource, "entry" | "inputs" | "outputs" | "prelude" | "body">;

export function prepWgsl(kind: Kind, gaussian: boolean): Aux {
  const mlp = kind === "mlp";
  const weight = mlp ? "W1[(jc * d + i) * H + h]" : "TH[i * d + jc]";
  const extra = [
    mlp
      ? "if (e < H) { v = B1[jc * H + e]; } else if (e < 2u * H) { v = W2[jc * H + e - H]; } else if (e == 2u * H) { v = B2[jc]; }"
      : "",
    gaussian
      ? "if (e == 2u * H + 1u) { v = -0.5 * (LOG2PI + ELL[jc]); } else if (e == 2u * H + 2u) { v = exp(-ELL[jc]); }"
      : "",
  ];
  return {
    entry: "mech_gemm_prep",
    inputs: ["G", ...(mlp ? ["W1", "B1", "W2", "B2"] : ["TH"]), ...(gaussian ? ["ELL"] : [])],
    outputs: ["GP", "WT"],
    prelude: `${common}\nconst LOG2PI: f32 = ${Math.log(2 * Math.PI)};`,
    body: `
  let d = P.d; let dp = P.dp; let H = P.H;
  let u = flat_id(wid, nwg, lid, WG);
  let ng = P.M * d * dp;
  if (u < ng) {
    let j = u % dp;
    GP[u] = select(0.0, G[(u / dp) * d + min(j, d - 1u)], j < d);
    return;
  }
  let t = u - ng;
  if (t >= (d * H + 2u * H + 3u) * dp) { return; }
  let row = t / dp; let j = t % dp; let jc = min(j, d - 1u);
  var v = 0.0;
  if (j < d) {
    if (row < d * H) {
      let i = row / H; let h = row % H;
      v = ${weight};
    } else {
      let e = row - d * H;
      ${extra.join("\n      ")}
    }
  }
  WT[t] = v;`,
  };
}

export function finishWgsl(kind: Kind, gaussian: boolean): Aux {
  const mlp = kind === "mlp";
  const K = mlp ? "(2u * H + 2u)" : "2u";
  const weightGrad = mlp
    ? `let h = t % H; let i = (t / H) % d; let j = t / (d * H);
    var s = 0.0;
    for (var m = 0u; m < P.M; m++) { s += WB[((m * d + i) * H + h) * dp + j] * G[(m * d + i) * d + j]; }
    DW[t] = s;`
    : `let i = t / d; let j = t % d;
    var s = 0.0;
    for (var m = 0u; m < P.M; m++) { s += WB[(m * d + i) * dp + j] * G[(m * d + i) * d + j]; }
    DW[t] = s;`;
  const wIdx = mlp ? "(j * d + i) * H + h" : "i * d + j";
  return {
    entry: "mech_gemm_finish",
    inputs: ["WB", "PS", "G", "W"],
    outputs: ["DW", "DG", ...(mlp ? ["DB1", "DW2", "DB2"] : []), ...(gaussian ? ["DELL"] : [])],
    prelude: common,
    body: `
  let d = P.d; let dp = P.dp; let H = P.H;
  var t = flat_id(wid, nwg, lid, WG);
  if (t < d * d * H) {
    ${weightGrad}
    return;
  }
  t -= d * d * H;
  if (t < P.M * d * d) {
    let j = t % d; let i = (t / d) % d; let m = t / (d * d);
    var s = 0.0;
    for (var h = 0u; h < H; h++) { s += WB[((m * d + i) * H + h) * dp + j] * W[${wIdx}]; }
    DG[t] = s;
    return;
  }
  t -= P.M * d * d;
  ${
    mlp
      ? `if (t < d * H) {
    let j = t / H; let h = t % H;
    DB1[t] = PS[(H + h) * dp + j];
    DW2[t] = PS[h * dp + j];
    return;
  }
  t -= d * H;
  if (t < d) { DB2[t] = PS[2u * H * dp + t]; return; }
  t -= d;`
      : ""
  }
  ${gaussian ? `if (t < d) { DELL[t] = PS[(${K} - 1u) * dp + t]; }` : ""}`,
  };
}

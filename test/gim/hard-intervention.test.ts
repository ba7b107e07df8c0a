/**
 * The fused hard-intervention term b (kernels/intervention-logpdf.ts: ψ = (m, λ) sliced, λ
 * clamped and the per-env parameters gathered inside one kernel) against its composition from
 * slices, the clamp's tanh, a gather, normalLogpdfStd, a product and a sum: values and the VJPs
 * of the targets and ψ, float64 on cpu, with the clamp and without.
 */
import { test } from "uvu";
import { HostRandom } from "../../engine/host-random.js";
import type { Tensor } from "../../engine/tensor.js";
import { gather, mul, normalLogpdfStd, reshape, slice, sum, transpose } from "../../kernels/ops.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import type { DeviceData } from "../../gim/model/device-data.js";
import { clampLogStd, hardInterventionTerms } from "../../gim/model/likelihood.js";
import { exitWhenDone } from "../helpers.js";
import { checkTermAgainstComposition, makeSet } from "./fixtures.js";

/** b [R, N] = Σ_j I[e_n] log N(x; m[e_n], e^{2λ̃[e_n]}) from existing ops. */
function composed(data: DeviceData, targets: Tensor, psi: Tensor, config: GimConfig): Tensor {
  const { d, N } = data;
  const perRow = (t: Tensor) => gather(t, data.env, 0); // [E, R, d] → [N, R, d]
  const mean = slice(psi, 2, 0, d);
  const logStd = clampLogStd(slice(psi, 2, d, 2 * d), config.logStdClamp);
  const Li = normalLogpdfStd(reshape(data.X, [N, 1, d]), perRow(mean), perRow(logStd)); // [N, R, d]
  return transpose(sum(mul(perRow(targets), Li), 2), [1, 0]);
}

for (const clamp of [1.5, 0])
  test(`fused hard b = its composition, values and VJPs (f64, clamp ${clamp})`, async () => {
    const rng = new HostRandom(11);
    const set = makeSet(rng, 3, [5, 6, 4]);
    const config: GimConfig = { ...DEFAULTS, logStdClamp: clamp };
    await checkTermAgainstComposition(
      rng,
      set,
      config,
      { R: 4, width: 2, psiScale: 1.5 },
      (data, t, p, c) => hardInterventionTerms(data, t, p, c).b,
      composed,
    );
  });

test.run();
exitWhenDone();

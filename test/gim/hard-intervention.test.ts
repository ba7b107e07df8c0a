/**
 * The fused hard-intervention term b (kernels/intervention-logpdf.ts: ψ = (m, λ) sliced, λ
 * clamped and the per-env parameters gathered inside one kernel) against its composition from
 * slices, the clamp's tanh, a gather, normalLogpdfStd, a product and a sum: values and the VJPs
 * of the targets and ψ, float64 on cpu, with the clamp and without.
 */
import { test } from "uvu";
import { HostRandom } from "../../engine/host-random.js";
import { backward } from "../../engine/index.js";
import { Tensor } from "../../engine/tensor.js";
import { gather, mul, normalLogpdfStd, reshape, slice, sum, transpose } from "../../kernels/ops.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { type DeviceData, uploadData } from "../../gim/model/device-data.js";
import { clampLogStd, hardInterventionTerms } from "../../gim/model/likelihood.js";
import { exitWhenDone } from "../helpers.js";
import { cpu, draw, f64, makeSet } from "./fixtures.js";

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
    const [d, R, E] = [3, 4, 3];
    const set = makeSet(rng, d, [5, 6, 4]);
    const data = uploadData(set, cpu, "f64", false);
    const config: GimConfig = { ...DEFAULTS, logStdClamp: clamp };
    const I = f64(
      draw(rng, E * R * d, (r) => r.uniform()),
      [E, R, d],
    );
    const psi = f64(
      draw(rng, E * R * 2 * d, (r) => 1.5 * r.normal()),
      [E, R, 2 * d],
    );
    const weights = f64(
      draw(rng, R * data.N, (r) => r.normal()),
      [R, data.N],
    );
    const run = async (f: typeof composed) => {
      const [it, pt] = [I, psi].map((t) => new Tensor(cpu, t.storage, t.shape, true));
      const b = f(data, it, pt, config);
      const values = await b.toArray();
      backward(sum(mul(b, weights)));
      return [values, await it.grad!.toArray(), await pt.grad!.toArray()];
    };
    const fused = await run((data_, t, p, c) => hardInterventionTerms(data_, t, p, c).b);
    const plain = await run(composed);
    ["b", "Ī", "ψ̄"].forEach((what, k) =>
      fused[k].forEach((v, i) => {
        const want = plain[k][i];
        if (!(Math.abs(v - want) <= 1e-10 * Math.max(1, Math.abs(want))))
          throw new Error(`${what}[${i}]: fused ${v}, composed ${want}`);
      }),
    );
  });

test.run();
exitWhenDone();

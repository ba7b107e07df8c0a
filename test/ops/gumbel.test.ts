/**
 * Gumbel-sigmoid and hard Bernoulli samples (spec §2): identical hard samples on cpu and webgpu,
 * shared noise (hard = 1[soft > ½] for the same counter), the counter layout (index = offset +
 * flat output index), the zero diagonal, the gradient with the noise fixed, and the empirical
 * frequency of hard samples against σ(z) within 3 standard errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Backend } from "../../engine/backend.js";
import { tensor } from "../../engine/create.js";
import { sigmoid } from "../../engine/cpu-math.js";
import { backward, noGrad } from "../../engine/tape.js";
import { gumbelSigmoid, hardBernoulli } from "../../kernels/ops.js";
import { assertClose, eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("gumbel");
const [cpu, gpu] = [devices.cpu.backend, devices.webgpu.backend];

const logits = Array.from({ length: 36 }, (_, k) => ((k * 7) % 13) / 2 - 3);
const noise = { seed: 1234, stream: 5, samples: 64 };

devices.webgpu.test("hard samples are identical on cpu and webgpu", async () => {
  const z = (b: Backend) => tensor(logits, [6, 6], { backend: b, dtype: "f32" });
  const a = await noGrad(() => hardBernoulli(z(cpu), noise)).toArray();
  const g = await noGrad(() => hardBernoulli(z(gpu), noise)).toArray();
  assert.equal(Array.from(g), Array.from(a));
  const sa = await noGrad(() => gumbelSigmoid(z(cpu), { ...noise, tau: 0.7 })).toArray();
  const sg = await noGrad(() => gumbelSigmoid(z(gpu), { ...noise, tau: 0.7 })).toArray();
  assertClose(sg, sa, 1e-5, "soft samples");
});

devices.each("shared noise: hard = 1[soft > ½] elementwise", async ({ backend: b }) => {
  const z = tensor(logits, [6, 6], { backend: b, dtype: "f32" });
  const soft = await noGrad(() => gumbelSigmoid(z, { ...noise, offset: 17 })).toArray();
  const hard = await noGrad(() => hardBernoulli(z, { ...noise, offset: 17 })).toArray();
  assert.equal(
    Array.from(hard),
    Array.from(soft, (v) => (v > 0.5 ? 1 : 0)),
  );
  assert.ok(hard.some((v) => v === 1) && hard.some((v) => v === 0), "both outcomes occur");
});

devices.each("counter layout: offset k·|z| continues the draw at sample k", async ({ backend: b }) => {
  const z = tensor(logits, [36], { backend: b, dtype: "f32" });
  const all = await noGrad(() => gumbelSigmoid(z, { ...noise, samples: 4 })).toArray();
  const tail = await noGrad(() => gumbelSigmoid(z, { ...noise, samples: 2, offset: 2 * 36 })).toArray();
  assertClose(tail, all.slice(2 * 36), 0, "samples 2..3");
  const other = await noGrad(() => gumbelSigmoid(z, { ...noise, samples: 4, stream: 6 })).toArray();
  assert.ok(
    other.some((v, k) => v !== all[k]),
    "another stream gives other noise",
  );
});

devices.each("zero diagonal: 0 on the diagonal, with zero gradient", async ({ backend: b }) => {
  const z = tensor(logits.slice(0, 18), [2, 3, 3], { backend: b, dtype: "f32", requiresGrad: true });
  const y = gumbelSigmoid(z, { ...noise, samples: 3, zeroDiagonal: true });
  backward(y, tensor(new Array(3 * 18).fill(1), [3, 2, 3, 3], { backend: b, dtype: "f32" }));
  const values = await y.toArray();
  const grad = await z.grad!.toArray();
  for (let k = 0; k < values.length; k++) {
    const diag = Math.floor((k % 9) / 3) === k % 3;
    assert.ok(diag ? values[k] === 0 : values[k] > 0 && values[k] < 1, `y[${k}] = ${values[k]}`);
  }
  for (let e = 0; e < 18; e++) if (Math.floor((e % 9) / 3) === e % 3) assert.is(grad[e], 0, `z̄[${e}] on the diagonal`);
});

test("gradient with the noise fixed: z̄ matches central differences of the same draw (f64)", async () => {
  const zv = logits.slice(0, 10);
  const opts = { ...noise, samples: 5, tau: 0.5 };
  const u = Array.from({ length: 5 * 10 }, (_, k) => Math.cos(k));
  const z = tensor(zv, [10], { backend: cpu, dtype: "f64", requiresGrad: true });
  backward(gumbelSigmoid(z, opts), tensor(u, [5, 10], { backend: cpu, dtype: "f64" }));
  const grad = await z.grad!.toArray();
  const h = 1e-6;
  for (let e = 0; e < 10; e++) {
    const at = async (dz: number) =>
      noGrad(() =>
        gumbelSigmoid(
          tensor(
            zv.map((v, k) => (k === e ? v + dz : v)),
            [10],
            { backend: cpu, dtype: "f64" },
          ),
          opts,
        ),
      ).toArray();
    const [plus, minus] = [await at(h), await at(-h)];
    let fd = 0;
    for (let s = 0; s < 5; s++) fd += (u[s * 10 + e] * (plus[s * 10 + e] - minus[s * 10 + e])) / (2 * h);
    assert.ok(
      Math.abs(fd - grad[e]) < 1e-7 * Math.max(1, Math.abs(fd)),
      `z̄[${e}] = ${grad[e]}, finite difference ${fd}`,
    );
  }
});

devices.each("hard samples are Bernoulli(σ(z)): frequencies within 3 standard errors", async ({ backend: b }) => {
  const zv = [-3, -1, 0, 0.4, 2, 4];
  const samples = 20000;
  const hard = await noGrad(() =>
    hardBernoulli(tensor(zv, [6], { backend: b, dtype: "f32" }), { seed: 99, stream: 3, samples }),
  ).toArray();
  zv.forEach((zj, j) => {
    let ones = 0;
    for (let s = 0; s < samples; s++) ones += hard[s * zv.length + j];
    const p = sigmoid(zj);
    const se = Math.sqrt((p * (1 - p)) / samples);
    assert.ok(
      Math.abs(ones / samples - p) < 3 * se,
      `z = ${zj}: frequency ${ones / samples}, σ(z) = ${p}, 3 SE = ${3 * se}`,
    );
  });
});

exitWhenDone();
test.run();

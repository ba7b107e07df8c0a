/**
 * where and the comparisons on cpu (float64) and webgpu (float32) against host loops: where with
 * the condition, a and b each broadcast (gradients summed back to each operand's shape), the
 * condition taking no gradient, comparisons on ties, ±∞ and broadcast operands, and shape errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../engine/create.js";
import { ShapeError, type Shape, broadcastShapes, sizeOf, stridesOf } from "../../engine/shape.js";
import { backward } from "../../engine/tape.js";
import { equal, greater, greaterEqual, less, lessEqual, mul, notEqual, sum, where } from "../../kernels/ops.js";
import { eachDevice, exitWhenDone } from "../helpers.js";

const TARGETS = await eachDevice("select", { cpu: { dtype: "f64" }, webgpu: { dtype: "f32" } });

/** Flat index into an operand of shape `s` for element i of the broadcast shape `out`. */
function bcastIndex(i: number, out: Shape, s: Shape): number {
  const os = stridesOf(out);
  const ss = stridesOf(s);
  const lead = out.length - s.length;
  return s.reduce((o, d, k) => (d === 1 ? o : o + (Math.floor(i / os[k + lead]) % d) * ss[k]), 0);
}

const quarters = (n: number, offset: number) => Array.from({ length: n }, (_, i) => ((i * 7 + offset) % 13) / 4 - 1.5);

for (const t of TARGETS) {
  const on = { backend: t.backend, dtype: t.dtype };
  const read = async (x: { toArray(): Promise<ArrayLike<number>> }) => Array.from(await x.toArray());

  t.test(`where broadcasts c, a and b; ā = Σ ȳ·c, b̄ = Σ ȳ·(1 − c), c gets none (${t.label})`, async () => {
    const forms: [Shape, Shape, Shape][] = [
      [
        [3, 4],
        [3, 4],
        [3, 4],
      ],
      [[3, 1], [4], [3, 4]],
      [[], [2, 3], [3]],
      [
        [2, 1, 3],
        [1, 4, 1],
        [4, 3],
      ],
    ];
    for (const [sc, sa, sb] of forms) {
      const what = JSON.stringify([sc, sa, sb]);
      const out = broadcastShapes("test", broadcastShapes("test", sc, sa), sb);
      const cs = Array.from({ length: sizeOf(sc) }, (_, i) => ((i * 5 + 1) % 3 === 0 ? 0 : 1));
      const as = quarters(sizeOf(sa), 1);
      const bs = quarters(sizeOf(sb), 2);
      const c = tensor(cs, sc, { ...on, requiresGrad: true });
      const a = tensor(as, sa, { ...on, requiresGrad: true });
      const b = tensor(bs, sb, { ...on, requiresGrad: true });
      const y = where(c, a, b);
      assert.equal(y.shape, out, `${what}: shape`);
      const n = sizeOf(out);
      const pick = (i: number) => cs[bcastIndex(i, out, sc)] !== 0;
      assert.equal(
        await read(y),
        Array.from({ length: n }, (_, i) => (pick(i) ? as[bcastIndex(i, out, sa)] : bs[bcastIndex(i, out, sb)])),
        `${what}: values`,
      );
      const ws = quarters(n, 5);
      backward(sum(mul(y, tensor(ws, out, on))));
      const ga = new Array<number>(as.length).fill(0);
      const gb = new Array<number>(bs.length).fill(0);
      ws.forEach((w, i) => (pick(i) ? (ga[bcastIndex(i, out, sa)] += w) : (gb[bcastIndex(i, out, sb)] += w)));
      assert.equal(await read(a.grad!), ga, `${what}: ā`);
      assert.equal(await read(b.grad!), gb, `${what}: b̄`);
      assert.is(c.grad, null, `${what}: the condition has no gradient`);
    }
    const x = tensor([1, 2, 3], [3], on);
    assert.throws(
      () => where(tensor([1, 0], [2], on), x, x),
      (e: unknown) => e instanceof ShapeError && /where: cannot broadcast \[2\] with \[3\]/.test(String(e)),
    );
  });

  t.test(
    `comparisons give 0/1 with broadcasting, exact ties and ±∞; they record no gradient (${t.label})`,
    async () => {
      const av = [-Infinity, -1, 0, 0.5, 2, Infinity];
      const bv = [0.5, 0, -Infinity];
      const a = tensor(av, [6, 1], { ...on, requiresGrad: true });
      const b = tensor(bv, [3], on);
      const table = [
        ["greater", greater, (x: number, y: number) => x > y],
        ["greaterEqual", greaterEqual, (x: number, y: number) => x >= y],
        ["less", less, (x: number, y: number) => x < y],
        ["lessEqual", lessEqual, (x: number, y: number) => x <= y],
        ["equal", equal, (x: number, y: number) => x === y],
        ["notEqual", notEqual, (x: number, y: number) => x !== y],
      ] as const;
      for (const [name, op, f] of table) {
        const y = op(a, b);
        assert.equal(y.shape, [6, 3]);
        assert.equal(
          await read(y),
          av.flatMap((x) => bv.map((v) => (f(x, v) ? 1 : 0))),
          name,
        );
        assert.is(y.requiresGrad, false, `${name}: off the tape`);
      }
      assert.throws(
        () => less(tensor([1, 2], [2], on), tensor([1, 2, 3], [3], on)),
        (e: unknown) => e instanceof ShapeError && /less: cannot broadcast/.test(String(e)),
      );
    },
  );
}

exitWhenDone();
test.run();

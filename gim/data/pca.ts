/**
 * Column standardisation and PCA (spec §9 features), fitted on the training rows and applied to
 * any rows. Eigenvectors of the covariance by cyclic Jacobi rotations (the matrices are
 * 2d × 2d, small), sorted by eigenvalue; sign fixed so the largest |entry| is positive.
 */
export interface PcaModel {
  mean: number[];
  std: number[];
  components: number[][]; // q × width
}

function symmetricEigen(a: number[][]): { values: number[]; vectors: number[][] } {
  const n = a.length;
  const A = a.map((r) => r.slice());
  const V: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += A[i][j] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(A[p][q]) < 1e-300) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k][p];
          const akq = A[k][q];
          A[k][p] = c * akp - s * akq;
          A[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p][k];
          const aqk = A[q][k];
          A[p][k] = c * apk - s * aqk;
          A[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p];
          const vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = A.map((_, i) => i).sort((i, j) => A[j][j] - A[i][i]);
  return { values: order.map((i) => A[i][i]), vectors: order.map((i) => V.map((row) => row[i])) };
}

export function fitPca(rows: number[][], q: number): PcaModel {
  const width = rows[0].length;
  const n = rows.length;
  const mean = Array.from({ length: width }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const std = Array.from({ length: width }, (_, j) =>
    Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / n),
  );
  const z = rows.map((r) => r.map((v, j) => (std[j] > 1e-12 ? (v - mean[j]) / std[j] : 0)));
  const cov = Array.from({ length: width }, (_, a) =>
    Array.from({ length: width }, (_, b) => z.reduce((s, r) => s + r[a] * r[b], 0) / n),
  );
  const { vectors } = symmetricEigen(cov);
  const components = vectors.slice(0, Math.min(q, width)).map((v) => {
    const big = v.reduce((best, x) => (Math.abs(x) > Math.abs(best) ? x : best), 0);
    return big < 0 ? v.map((x) => -x) : v;
  });
  return { mean, std, components };
}

/** Projects rows onto the components; pads with zero columns up to q. */
export function applyPca(model: PcaModel, row: number[], q: number): number[] {
  const z = row.map((v, j) => (model.std[j] > 1e-12 ? (v - model.mean[j]) / model.std[j] : 0));
  const out = model.components.map((c) => c.reduce((s, x, j) => s + x * z[j], 0));
  while (out.length < q) out.push(0);
  return out;
}

/**
 * A dense eigen-solver for tests: unshifted QR iteration (modified Gram–Schmidt) in float64 to
 * the real Schur form; eigenvalues from its 1×1 and 2×2 diagonal blocks. Independent of power
 * iteration, so it can judge the spectral-radius kernel.
 */
export function spectralRadiusDense(A: number[][], iterations = 2000): number {
  const n = A.length;
  let M = A.map((r) => r.slice());
  for (let it = 0; it < iterations; it++) {
    const Q = M.map((r) => r.slice());
    const R = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += Q[i][k] * Q[i][j];
        R[k][j] = dot;
        for (let i = 0; i < n; i++) Q[i][j] -= dot * Q[i][k];
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += Q[i][j] ** 2;
      norm = Math.sqrt(norm);
      R[j][j] = norm;
      for (let i = 0; i < n; i++) Q[i][j] = norm > 0 ? Q[i][j] / norm : 0;
    }
    const next = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) for (let k = i; k < n; k++) for (let j = 0; j < n; j++) next[i][j] += R[i][k] * Q[k][j];
    M = next;
  }
  let best = 0;
  for (let i = 0; i < n; i++) {
    const coupled = i + 1 < n && Math.abs(M[i + 1][i]) > 1e-9 * (Math.abs(M[i][i]) + Math.abs(M[i + 1][i + 1]));
    if (coupled) {
      const [a, b, c, d] = [M[i][i], M[i][i + 1], M[i + 1][i], M[i + 1][i + 1]];
      const tr = a + d;
      const det = a * d - b * c;
      const disc = tr * tr - 4 * det;
      const modulus = disc >= 0 ? Math.max(Math.abs((tr + Math.sqrt(disc)) / 2), Math.abs((tr - Math.sqrt(disc)) / 2)) : Math.sqrt(Math.abs(det));
      best = Math.max(best, modulus);
      i++;
    } else best = Math.max(best, Math.abs(M[i][i]));
  }
  return best;
}

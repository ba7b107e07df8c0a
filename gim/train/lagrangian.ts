/**
 * Augmented Lagrangian schedule of spec §6 (eq 16–17, revised in §13): every T_AL steps the
 * holdout log-likelihood s_t is compared with the previous check; when it has converged
 * (relative gain < tol) and the limit graph G_∞(Z) is cyclic, α_AL += μ_AL·ĥ, and μ_AL grows
 * ×η only if ĥ did not fall below ¼ of its value at the previous update (the NOTEARS rule).
 */
export interface LagrangianCheck {
  step: number;
  holdoutLogLikelihood: number;
  relativeGain: number | null;
  converged: boolean;
  cyclic: boolean;
  h: number;
  alpha: number;
  mu: number;
}

export interface LagrangianSettings {
  eta: number;
  muMax: number;
  tolerance: number;
}

export class Lagrangian {
  alpha = 0;
  mu = 1;
  private previousScore: number | null = null;
  private hAtLastUpdate: number | null = null;
  readonly checks: LagrangianCheck[] = [];

  constructor(private readonly settings: LagrangianSettings) {}

  /** `forced`: count this check as converged whatever the gain (config.alForceFrom). */
  check(step: number, holdoutLogLikelihood: number, h: number, cyclic: boolean, forced = false): LagrangianCheck {
    const prev = this.previousScore;
    const relativeGain = prev === null ? null : (holdoutLogLikelihood - prev) / Math.max(Math.abs(prev), 1e-12);
    const converged = forced || (relativeGain !== null && relativeGain < this.settings.tolerance);
    if (converged && cyclic) {
      this.alpha += this.mu * h;
      if (this.hAtLastUpdate === null || h >= 0.25 * this.hAtLastUpdate) {
        this.mu = Math.min(this.settings.eta * this.mu, this.settings.muMax);
      }
      this.hAtLastUpdate = h;
    }
    this.previousScore = holdoutLogLikelihood;
    const record = { step, holdoutLogLikelihood, relativeGain, converged, cyclic, h, alpha: this.alpha, mu: this.mu };
    this.checks.push(record);
    return record;
  }

  exportState() {
    return {
      alpha: this.alpha,
      mu: this.mu,
      previousScore: this.previousScore,
      hAtLastUpdate: this.hAtLastUpdate,
      checks: this.checks,
    };
  }

  importState(state: ReturnType<Lagrangian["exportState"]>): void {
    this.alpha = state.alpha;
    this.mu = state.mu;
    this.previousScore = state.previousScore;
    this.hAtLastUpdate = state.hAtLastUpdate;
    this.checks.splice(0, this.checks.length, ...state.checks);
  }
}

/**
 * Property tests draw their cases from one fixed seed, so `npm test` (and CI) runs the same
 * cases every time: a failure is reproducible and a green run stays green. To explore new
 * cases, run with another seed, or `LBSIM_FC_SEED=random` for fast-check's own; a failure
 * prints the seed and path that replay it.
 */
import fc from 'fast-check';

const chosen = process.env.LBSIM_FC_SEED;
if (chosen !== 'random') {
  const seed = chosen === undefined ? 20261125 : Number(chosen);
  if (!Number.isInteger(seed)) throw new Error(`LBSIM_FC_SEED: expected an integer or 'random', got '${chosen}'`);
  fc.configureGlobal({ seed });
}

import type { Verdict } from '@tessera/workloads';

/** What a finished round of re-execution leads to. */
export type RoundDecision =
  /** The provider's samples match the re-execution: accept the task. */
  | { next: 'pass'; blamePreviousVerifier: boolean }
  /** Two independent verifiers agree the provider's result is wrong: reject it, penalise the provider. */
  | { next: 'fail' }
  /** A first reject: before anyone is penalised, the same samples again on another verifier. */
  | { next: 'confirm' }
  /** The grey zone: fresh samples, another round. */
  | { next: 'resample' }
  /** No conclusion: the task is re-executed (or, the second time, accepted unverified); nobody is penalised. */
  | { next: 'unresolved'; why: string };

/**
 * The rule after each round (DESIGN.md §5), as a pure function so that every branch is tested:
 * - a `sample` round that accepts passes the task; one that rejects is confirmed by a second
 *   verifier on the same samples (a false reject would slash an honest provider, and a lying or
 *   broken verifier must not be able to do that alone); one in the grey zone draws fresh samples,
 *   up to `maxRounds` rounds, after which the check is unresolved;
 * - a `confirm` round that rejects too fails the provider only if both verifiers returned the same
 *   re-execution (`verifiersAgree`: equal commitments over their samples); if they differ among
 *   themselves the work is not reproducible (a nondeterministic scene, or a verifier is wrong) and
 *   the check is unresolved. A confirm round that accepts passes the task and blames the first
 *   verifier, whose re-execution disagreed with both the provider and the second verifier.
 */
export function decideRound(input: {
  purpose: 'sample' | 'confirm';
  verdict: Verdict;
  /** Rounds so far, this one included. */
  rounds: number;
  maxRounds: number;
  /** Confirm rounds: whether this verifier's re-execution equals the previous verifier's. */
  verifiersAgree?: boolean;
}): RoundDecision {
  const { purpose, verdict } = input;
  if (purpose === 'sample') {
    if (verdict === 'accept') return { next: 'pass', blamePreviousVerifier: false };
    if (verdict === 'reject') return { next: 'confirm' };
    return input.rounds < input.maxRounds
      ? { next: 'resample' }
      : {
          next: 'unresolved',
          why: `every sample stayed in the grey zone for ${input.rounds} rounds`,
        };
  }
  if (verdict === 'accept') return { next: 'pass', blamePreviousVerifier: true };
  if (verdict === 'reject') {
    return input.verifiersAgree
      ? { next: 'fail' }
      : {
          next: 'unresolved',
          why: 'the two verifiers re-executed the samples differently from each other (the work is not reproducible)',
        };
  }
  return { next: 'unresolved', why: 'the confirming verifier landed in the grey zone' };
}

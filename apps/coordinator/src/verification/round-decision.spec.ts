import { decideRound } from './round-decision';

describe('decideRound', () => {
  const base = { rounds: 1, maxRounds: 3 };

  it('passes a task whose samples match on the first verifier', () => {
    expect(decideRound({ ...base, purpose: 'sample', verdict: 'accept' })).toEqual({
      next: 'pass',
      blamePreviousVerifier: false,
    });
  });

  it('never fails a provider on one verifier’s word: a first reject is confirmed elsewhere', () => {
    expect(decideRound({ ...base, purpose: 'sample', verdict: 'reject' })).toEqual({ next: 'confirm' });
  });

  it('fails the provider when the confirming verifier rejects too and both re-executed the same', () => {
    expect(
      decideRound({ purpose: 'confirm', verdict: 'reject', rounds: 2, maxRounds: 3, verifiersAgree: true }),
    ).toEqual({ next: 'fail' });
  });

  it('blames nobody when the two verifiers re-executed differently (the work is not reproducible)', () => {
    const d = decideRound({
      purpose: 'confirm',
      verdict: 'reject',
      rounds: 2,
      maxRounds: 3,
      verifiersAgree: false,
    });
    expect(d).toMatchObject({ next: 'unresolved', why: expect.stringMatching(/not reproducible/) });
  });

  it('passes the task and blames the first verifier when the confirming one accepts', () => {
    expect(decideRound({ purpose: 'confirm', verdict: 'accept', rounds: 2, maxRounds: 3 })).toEqual({
      next: 'pass',
      blamePreviousVerifier: true,
    });
  });

  it('draws fresh samples in the grey zone, and gives up after the last round', () => {
    expect(decideRound({ purpose: 'sample', verdict: 'inconclusive', rounds: 2, maxRounds: 3 })).toEqual({
      next: 'resample',
    });
    expect(
      decideRound({ purpose: 'sample', verdict: 'inconclusive', rounds: 3, maxRounds: 3 }),
    ).toMatchObject({
      next: 'unresolved',
      why: expect.stringMatching(/grey zone for 3 rounds/),
    });
    expect(
      decideRound({ purpose: 'confirm', verdict: 'inconclusive', rounds: 2, maxRounds: 3 }),
    ).toMatchObject({
      next: 'unresolved',
    });
  });
});

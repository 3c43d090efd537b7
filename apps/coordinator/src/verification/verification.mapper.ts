import { CheckRoundDto, CheckSampleDto, VerificationDto } from './dtos/verification.dto';
import { StoredRound, StoredSample, VerificationEntity } from './verification.entity';

function sampleDto(s: StoredSample): CheckSampleDto {
  return { item: s.item, key: s.key, region: s.region ?? null };
}

function roundDto(r: StoredRound): CheckRoundDto {
  return {
    round: r.round,
    purpose: r.purpose,
    checkTaskId: r.checkTaskId,
    verifierProviderId: r.verifierProviderId ?? null,
    samples: r.samples.map(sampleDto),
    verdict: r.verdict ?? null,
    reason: r.reason ?? null,
    comparisons: (r.comparisons ?? []).map((c) => ({
      key: c.key,
      verdict: c.verdict,
      reason: c.reason,
      psnrDb: c.psnr ?? null,
      ssim: c.ssim ?? null,
      identical: c.identical === true,
    })),
    startedAt: new Date(r.startedAt),
    finishedAt: r.finishedAt ? new Date(r.finishedAt) : null,
  };
}

export function toVerificationDto(v: VerificationEntity): VerificationDto {
  return {
    id: v.id,
    state: v.state,
    attemptId: v.attemptId,
    providerId: v.providerId,
    samples: v.samples.map(sampleDto),
    rounds: v.rounds.map(roundDto),
    reason: v.reason,
    proofDeadline: v.proofDeadline,
    createdAt: v.createdAt,
    finishedAt: v.finishedAt,
  };
}

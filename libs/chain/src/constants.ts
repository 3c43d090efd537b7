/** Programs the local chain knows by name (LiteSVM loads the real binaries of all of them). */
export const SYSTEM_PROGRAM_ID = '11111111111111111111111111111111';
export const TOKEN_PROGRAM_ID = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
export const TOKEN_2022_PROGRAM_ID = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb';
export const ASSOCIATED_TOKEN_PROGRAM_ID = 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL';
/**
 * The classic SPL Memo program (v3). `@solana-program/memo` defaults to a newer address that LiteSVM
 * does not load, so Tessera writes memos to this one, which devnet and mainnet also run.
 */
export const MEMO_PROGRAM_ID = 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr';
export const MEMO_V1_PROGRAM_ID = 'Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo';
export const COMPUTE_BUDGET_PROGRAM_ID = 'ComputeBudget111111111111111111111111111111';
export const ADDRESS_LOOKUP_TABLE_PROGRAM_ID = 'AddressLookupTab1e1111111111111111111111111';

/** A blockhash is usable for this many blocks after its own (Agave's MAX_PROCESSING_AGE). */
export const MAX_PROCESSING_AGE = 150;
/** The status cache answers `getSignatureStatuses` without history for this many slots. */
export const STATUS_CACHE_SLOTS = 300;
/** The largest wire transaction a cluster accepts (IPv6 MTU minus headers). */
export const PACKET_DATA_SIZE = 1232;
export const LAMPORTS_PER_SIGNATURE = 5000;
export const SLOTS_PER_EPOCH = 432_000;
/** What `rentEpoch` reads for rent-exempt accounts on a real cluster (u64::MAX). */
export const RENT_EXEMPT_EPOCH = 18446744073709551615n;

/** Reported by getVersion and in every response context; the Agave line LiteSVM 1.5 builds on. */
export const SOLANA_CORE_VERSION = '3.0.6';
export const FEATURE_SET = 3294202862;
export const LITESVM_VERSION = '1.5.0';

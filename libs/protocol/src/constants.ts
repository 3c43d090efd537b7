/**
 * Version of the provider wire protocol. A coordinator speaks exactly one version; an agent that
 * announces another gets `PROTOCOL_VERSION` and the socket is closed. Bump it for any change an
 * older peer could misread (new required field, changed meaning), and describe the change in
 * docs/protocol.md.
 */
export const PROTOCOL_VERSION = 2;

/** Path of the provider gateway on the coordinator's HTTP port. */
export const PROVIDER_GATEWAY_PATH = '/v1/provider';

/** Largest frame the coordinator accepts; bigger frames close the socket with 1009. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Largest `data` of one `task.log` message. */
export const MAX_LOG_CHUNK_CHARS = 16 * 1024;

/** Most blob digests one `claim` may list in `cachedBlobs`. */
export const MAX_CLAIM_CACHED_BLOBS = 256;

/** Most items (frames, rows) one `task.completed` commitment may cover. */
export const MAX_COMMITMENT_ITEMS = 1_000_000;

/** Most items one `proof.request` may ask for (and one `task.proof` may prove). */
export const MAX_PROOF_ITEMS = 256;

/** Directory inside the container where inputs are mounted, read-only. */
export const CONTAINER_INPUT_DIR = '/in';
/** Directory inside the container the task writes its results to; every file in it is uploaded. */
export const CONTAINER_OUTPUT_DIR = '/out';

/** WebSocket close codes the coordinator uses (4000-4999 is the application range). */
export const CloseCode = {
  /** The agent sent something other than `auth` before authenticating, or a bad `auth`. */
  Unauthenticated: 4401,
  /** No valid `auth` arrived within the challenge's lifetime. */
  AuthTimeout: 4408,
  /** The same provider key connected again; the older socket is closed. */
  Superseded: 4409,
  /** The agent speaks a protocol version the coordinator does not. */
  ProtocolVersion: 4426,
  /** The agent kept sending malformed messages. */
  TooManyBadMessages: 4400,
  /** The provider is banned. */
  Banned: 4403,
  /** The coordinator is shutting down; reconnect with backoff. */
  GoingAway: 1001,
} as const;

/**
 * The exact bytes an agent signs to authenticate: a domain tag, the coordinator's id, the nonce from
 * this socket's challenge and the agent's own address. Binding the coordinator id and address means a
 * signature cannot be replayed to another coordinator or claimed by another key; the nonce is fresh
 * per socket and single-use, so it cannot be replayed at all.
 */
export function authPayload(coordinatorId: string, nonce: string, address: string): Buffer {
  return Buffer.from(
    `tessera-provider-auth:v${PROTOCOL_VERSION}\n${coordinatorId}\n${nonce}\n${address}`,
    'utf8',
  );
}

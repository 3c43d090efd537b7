// Moved to libs/sandbox (the coordinator's scene inspector uses the same sandbox); kept for imports in flight.
export * from '@tessera/sandbox';

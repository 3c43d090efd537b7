export * from './keypair';
export * from './hashing';

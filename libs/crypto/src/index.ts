export * from './keypair';
export * from './hashing';
export * from './merkle';

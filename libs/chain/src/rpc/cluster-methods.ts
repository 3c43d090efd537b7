import { VersionedMessage } from '@solana/web3.js';
import { Bank } from '../bank/bank';
import { feeOf } from '../bank/fees';
import { SLOTS_PER_EPOCH } from '../constants';
import {
  checkMinContextSlot,
  commitmentOf,
  configParam,
  integerOption,
  JsonRpcError,
  param,
  RpcMethods,
  stringParam,
  VERSION_INFO,
  withContext,
} from './json-rpc';

/** Slots, blockhashes, fees and node information. */
export function clusterMethods(bank: Bank): RpcMethods {
  const { clock } = bank;
  /** The slot at the requested commitment, after checking `minContextSlot` against it. */
  const contextSlot = (config: Record<string, unknown>) => {
    const slot = clock.slotAt(commitmentOf(config));
    checkMinContextSlot(config, slot);
    return slot;
  };

  return {
    getHealth: () => 'ok',
    getVersion: () => VERSION_INFO,
    getGenesisHash: () => bank.genesisHash,
    getIdentity: () => ({ identity: bank.faucetAddress }),
    getFirstAvailableBlock: () => 0,
    minimumLedgerSlot: () => 0,
    getRecentPrioritizationFees: () => [],
    getTransactionCount: () => bank.transactionCount,

    // Every slot holds a block, so block height and slot are the same number here.
    getSlot: (params) => contextSlot(configParam(params, 0)),
    getBlockHeight: (params) => contextSlot(configParam(params, 0)),

    getEpochInfo: (params) => {
      const slot = contextSlot(configParam(params, 0));
      const { epoch, slotIndex } = clock.epochOf(slot);
      return {
        absoluteSlot: slot,
        blockHeight: slot,
        epoch,
        slotIndex,
        slotsInEpoch: SLOTS_PER_EPOCH,
        transactionCount: bank.transactionCount,
      };
    },

    getEpochSchedule: () => ({
      slotsPerEpoch: SLOTS_PER_EPOCH,
      leaderScheduleSlotOffset: SLOTS_PER_EPOCH,
      warmup: false,
      firstNormalEpoch: 0,
      firstNormalSlot: 0,
    }),

    getLatestBlockhash: (params) => {
      const config = configParam(params, 0);
      const { blockhash, lastValidBlockHeight, slot } = clock.latestBlockhash(commitmentOf(config));
      checkMinContextSlot(config, slot);
      return withContext(slot, { blockhash, lastValidBlockHeight });
    },

    isBlockhashValid: (params) => {
      const blockhash = stringParam(params, 0, 'blockhash');
      const slot = contextSlot(configParam(params, 1));
      return withContext(slot, clock.isBlockhashValid(blockhash));
    },

    getFeeForMessage: (params) => {
      const encoded = stringParam(params, 0, 'message');
      const slot = contextSlot(configParam(params, 1));
      let message: VersionedMessage;
      try {
        message = VersionedMessage.deserialize(Buffer.from(encoded, 'base64'));
      } catch (error) {
        throw JsonRpcError.invalidParams(`invalid message: ${(error as Error).message}`);
      }
      // Devnet answers null for a message whose blockhash it no longer (or never) knew.
      if (!clock.isBlockhashValid(message.recentBlockhash)) return withContext(slot, null);
      const fee = feeOf({
        header: message.header,
        accountKeys: message.staticAccountKeys.map((key) => key.toBase58()),
        instructions: message.compiledInstructions,
      });
      return withContext(slot, fee);
    },

    getMinimumBalanceForRentExemption: (params) => {
      const length = param(params, 0, 'data length');
      const dataLength = integerOption({ length }, 'length')!;
      return bank.minimumBalanceForRentExemption(dataLength);
    },
  };
}

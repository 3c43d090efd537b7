import { Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { Bank } from '../bank/bank';
import { Commitment, SlotInfo } from '../bank/slot-clock';
import { TransactionRecord } from '../bank/transaction-store';
import { AccountEncodingOptions, accountEncodingOf, encodeAccount } from '../encoding/account-encoding';
import { SYSTEM_PROGRAM_ID } from '../constants';
import {
  commitmentOf,
  configParam,
  JsonRpcError,
  param,
  parseSignature,
  pubkeyParam,
  RpcErrorCode,
  stringifyJson,
  withContext,
} from '../rpc/json-rpc';

type Subscription =
  | { kind: 'signature'; socket: WebSocket; signature: string; commitment: Commitment; received: boolean }
  | { kind: 'slot'; socket: WebSocket }
  | { kind: 'root'; socket: WebSocket }
  | {
      kind: 'account';
      socket: WebSocket;
      address: string;
      commitment: Commitment;
      encoding: AccountEncodingOptions;
      /** Slots that wrote the account and whose commitment has not been reached yet. */
      pending: number[];
    }
  | {
      kind: 'logs';
      socket: WebSocket;
      mentions: string | null;
      commitment: Commitment;
      pending: TransactionRecord[];
    };

const UNSUBSCRIBE: Record<string, Subscription['kind']> = {
  signatureUnsubscribe: 'signature',
  slotUnsubscribe: 'slot',
  rootUnsubscribe: 'root',
  accountUnsubscribe: 'account',
  logsUnsubscribe: 'logs',
};

/** A delay before answering a subscription that is already satisfied, so its id reaches the client first. */
const ALREADY_SATISFIED_DELAY_MS = 5;
const CLOSE_GRACE_MS = 1000;

/**
 * Solana's WebSocket PubSub API on its own port (web3.js derives it as the HTTP port + 1):
 * signature, slot, root, account and logs subscriptions. A signature subscription fires once, when
 * the transaction reaches the requested commitment, and is then disposed of, as on devnet.
 */
export class PubSubServer {
  private readonly subscriptions = new Map<number, Subscription>();
  private nextId = 0;
  private lastRoot: number;
  private readonly unsubscribeBank: Array<() => void>;

  constructor(
    private readonly bank: Bank,
    readonly wss: WebSocketServer,
  ) {
    this.lastRoot = bank.clock.finalized;
    wss.on('connection', (socket) => this.accept(socket));
    this.unsubscribeBank = [
      bank.onTransaction((record) => this.onTransaction(record)),
      bank.onSlot((info) => this.onSlot(info)),
    ];
  }

  static attach(bank: Bank, server: Server): PubSubServer {
    return new PubSubServer(bank, new WebSocketServer({ server }));
  }

  /**
   * Closes every socket with code 1000: web3.js reconnects forever after any other close, which would
   * keep a test process alive after its chain stopped.
   */
  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribeBank) unsubscribe();
    const closed = [...this.wss.clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          client.once('close', () => resolve());
          client.close(1000, 'local chain stopped');
          setTimeout(() => {
            client.terminate();
            resolve();
          }, CLOSE_GRACE_MS).unref();
        }),
    );
    await Promise.all(closed);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    socket.on('message', (data) => {
      let request: { id?: unknown; method?: unknown; params?: unknown };
      try {
        request = JSON.parse(data.toString());
      } catch {
        return this.send(socket, {
          jsonrpc: '2.0',
          error: { code: RpcErrorCode.ParseError, message: 'Parse error' },
          id: null,
        });
      }
      // Notifications (web3.js pings this way) get no answer.
      if (request.id === undefined) return;
      try {
        const params = Array.isArray(request.params) ? request.params : [];
        const result = this.call(socket, String(request.method), params);
        this.send(socket, { jsonrpc: '2.0', result, id: request.id });
      } catch (error) {
        const rpcError =
          error instanceof JsonRpcError
            ? error
            : new JsonRpcError(RpcErrorCode.InternalError, 'Internal error');
        this.send(socket, {
          jsonrpc: '2.0',
          error: { code: rpcError.code, message: rpcError.message },
          id: request.id,
        });
      }
    });
    socket.on('close', () => {
      for (const [id, subscription] of this.subscriptions) {
        if (subscription.socket === socket) this.subscriptions.delete(id);
      }
    });
  }

  private call(socket: WebSocket, method: string, params: unknown[]): unknown {
    const unsubscribeKind = UNSUBSCRIBE[method];
    if (unsubscribeKind) {
      const id = param(params, 0, 'subscription id');
      const subscription = this.subscriptions.get(id as number);
      if (subscription?.kind !== unsubscribeKind || subscription.socket !== socket) {
        throw JsonRpcError.invalidParams('Invalid subscription id.');
      }
      this.subscriptions.delete(id as number);
      return true;
    }
    switch (method) {
      case 'signatureSubscribe':
        return this.subscribeSignature(socket, params);
      case 'slotSubscribe':
        return this.add({ kind: 'slot', socket });
      case 'rootSubscribe':
        return this.add({ kind: 'root', socket });
      case 'accountSubscribe': {
        const address = pubkeyParam(params, 0);
        const config = configParam(params, 1);
        return this.add({
          kind: 'account',
          socket,
          address,
          commitment: commitmentOf(config),
          encoding: accountEncodingOf(config),
          pending: [],
        });
      }
      case 'logsSubscribe': {
        const filter = param(params, 0, 'filter') as string | { mentions?: unknown };
        const mentions =
          typeof filter === 'object' && Array.isArray(filter.mentions) ? String(filter.mentions[0]) : null;
        return this.add({
          kind: 'logs',
          socket,
          mentions,
          commitment: commitmentOf(configParam(params, 1)),
          pending: [],
        });
      }
      default:
        throw new JsonRpcError(RpcErrorCode.MethodNotFound, 'Method not found');
    }
  }

  private subscribeSignature(socket: WebSocket, params: unknown[]): number {
    const signature = parseSignature(param(params, 0, 'signature'));
    const config = configParam(params, 1);
    const subscription = {
      kind: 'signature' as const,
      socket,
      signature,
      commitment: commitmentOf(config),
      received: config.enableReceivedNotification === true,
    };
    const id = this.add(subscription);
    // Devnet only reports transactions that reach the commitment after subscribing; clients cover the
    // gap with getSignatureStatuses. Reporting a satisfied one as well is harmless and saves a poll.
    const status = this.bank.status(signature);
    if (status && this.reached(status.slot, subscription.commitment)) {
      setTimeout(() => this.notifySignature(id), ALREADY_SATISFIED_DELAY_MS);
    }
    return id;
  }

  private add(subscription: Subscription): number {
    const id = this.nextId++;
    this.subscriptions.set(id, subscription);
    return id;
  }

  private reached(slot: number, commitment: Commitment): boolean {
    return slot <= this.bank.clock.slotAt(commitment);
  }

  private onTransaction(record: TransactionRecord): void {
    const written = new Set(record.tx.accountKeys.filter((_, index) => record.tx.writable[index]));
    for (const [id, subscription] of this.subscriptions) {
      switch (subscription.kind) {
        case 'signature':
          if (subscription.signature !== record.tx.signature) break;
          if (subscription.received)
            this.notify(
              subscription.socket,
              'signatureNotification',
              id,
              withContext(record.slot, 'receivedSignature'),
            );
          if (subscription.commitment === 'processed') this.notifySignature(id);
          break;
        case 'account':
          if (written.has(subscription.address)) subscription.pending.push(record.slot);
          break;
        case 'logs':
          if (subscription.mentions === null || record.tx.accountKeys.includes(subscription.mentions)) {
            subscription.pending.push(record);
          }
          break;
      }
    }
    this.flushPending();
  }

  private onSlot(info: SlotInfo): void {
    for (const [id, subscription] of this.subscriptions) {
      if (subscription.kind === 'slot') this.notify(subscription.socket, 'slotNotification', id, info);
      if (subscription.kind === 'root' && info.root !== this.lastRoot) {
        this.notify(subscription.socket, 'rootNotification', id, info.root);
      }
      if (subscription.kind === 'signature') {
        const status = this.bank.status(subscription.signature);
        if (status && this.reached(status.slot, subscription.commitment)) this.notifySignature(id);
      }
    }
    this.lastRoot = info.root;
    this.flushPending();
  }

  /** Sends what account and logs subscribers were waiting for once its slot reached their commitment. */
  private flushPending(): void {
    for (const [id, subscription] of this.subscriptions) {
      if (subscription.kind === 'account') {
        const ready = subscription.pending.filter((slot) => this.reached(slot, subscription.commitment));
        if (ready.length === 0) continue;
        subscription.pending = subscription.pending.filter((slot) => !ready.includes(slot));
        const { commitment, address, encoding } = subscription;
        const account = this.bank.account(address, commitment) ?? {
          lamports: 0n,
          data: Buffer.alloc(0),
          owner: SYSTEM_PROGRAM_ID,
          executable: false,
          rentEpoch: 0n,
        };
        const value = encodeAccount(account, encoding, (mint) => this.bank.account(mint, commitment));
        this.notify(subscription.socket, 'accountNotification', id, withContext(Math.max(...ready), value));
      }
      if (subscription.kind === 'logs') {
        const ready = subscription.pending.filter((record) =>
          this.reached(record.slot, subscription.commitment),
        );
        subscription.pending = subscription.pending.filter((record) => !ready.includes(record));
        for (const record of ready) {
          this.notify(
            subscription.socket,
            'logsNotification',
            id,
            withContext(record.slot, {
              signature: record.tx.signature,
              err: record.meta.err?.json ?? null,
              logs: record.meta.logMessages,
            }),
          );
        }
      }
    }
  }

  private notifySignature(id: number): void {
    const subscription = this.subscriptions.get(id);
    if (subscription?.kind !== 'signature') return;
    const status = this.bank.status(subscription.signature);
    if (!status) return;
    this.subscriptions.delete(id);
    this.notify(
      subscription.socket,
      'signatureNotification',
      id,
      withContext(status.slot, { err: status.err?.json ?? null }),
    );
  }

  private notify(socket: WebSocket, method: string, subscription: number, result: unknown): void {
    this.send(socket, { jsonrpc: '2.0', method, params: { result, subscription } });
  }

  private send(socket: WebSocket, message: unknown): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(stringifyJson(message));
  }
}

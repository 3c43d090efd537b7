import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import type { Client } from 'graphql-ws';
import { GraphQLClient } from './api/graphql-client';
import { createLiveClient } from './api/live';
import { SIGN_OUT } from './api/operations';
import { clearApiKey, loadApiKey, saveApiKey, STORAGE_KEY, type KeyValueStore } from './lib/session-store';

export interface Session {
  apiKey: string | null;
  /** GraphQL over HTTP with the key (or none, for public queries). */
  client: GraphQLClient;
  /** The graphql-ws client for live updates; only while signed in. */
  live(): Client;
  signIn(apiKey: string): void;
  /**
   * Forgets the key in this browser, after asking the coordinator to end it if a sign-in handed it
   * out; `keyRevoked` skips the request for a key already revoked.
   */
  signOut(opts?: { keyRevoked?: boolean }): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

function storage(): KeyValueStore | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * Who is using the dashboard: the API key from localStorage (pasted, or handed out by a wallet
 * sign-in). Signing in or out in another tab applies here too.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [apiKey, setApiKey] = useState<string | null>(() => loadApiKey(storage()));
  const liveRef = useRef<{ apiKey: string; client: Client } | null>(null);

  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === STORAGE_KEY || event.key === null) setApiKey(loadApiKey(storage()));
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  // A new key gets a new live connection; the old one is closed.
  useEffect(
    () => () => {
      void liveRef.current?.client.dispose();
      liveRef.current = null;
    },
    [apiKey],
  );

  const live = useCallback((): Client => {
    if (!apiKey) throw new Error('live updates need an API key');
    if (liveRef.current?.apiKey !== apiKey) {
      void liveRef.current?.client.dispose();
      liveRef.current = { apiKey, client: createLiveClient(apiKey) };
    }
    return liveRef.current.client;
  }, [apiKey]);

  const signIn = useCallback((key: string) => {
    saveApiKey(storage(), key);
    setApiKey(key);
  }, []);

  const signOut = useCallback(
    async (opts: { keyRevoked?: boolean } = {}) => {
      // A key a wallet sign-in handed out ends here (the coordinator keeps keys you made): best
      // effort, as signing out must work offline too.
      if (apiKey && !opts.keyRevoked) {
        await new GraphQLClient({ apiKey }).request(SIGN_OUT).catch(() => undefined);
      }
      clearApiKey(storage());
      setApiKey(null);
    },
    [apiKey],
  );

  const value = useMemo<Session>(
    () => ({ apiKey, client: new GraphQLClient({ apiKey }), live, signIn, signOut }),
    [apiKey, live, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

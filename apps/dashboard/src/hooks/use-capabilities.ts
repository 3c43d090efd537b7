import { useEffect, useState } from 'react';
import { parseCapabilities, type Capabilities } from '../api/capabilities';
import { CAPABILITIES } from '../api/operations';
import { useSession } from '../session';

let cached: Promise<Capabilities> | null = null;

/**
 * What this coordinator's API offers beyond the core, asked once per page load (introspection is
 * public). Null while unknown, and when the question fails: optional sections then stay hidden.
 */
export function useCapabilities(): Capabilities | null {
  const { client } = useSession();
  const [capabilities, setCapabilities] = useState<Capabilities | null>(null);
  useEffect(() => {
    let active = true;
    cached ??= client.request<Parameters<typeof parseCapabilities>[0]>(CAPABILITIES).then(parseCapabilities);
    cached.then(
      (c) => active && setCapabilities(c),
      () => {
        cached = null;
      },
    );
    return () => {
      active = false;
    };
  }, [client]);
  return capabilities;
}

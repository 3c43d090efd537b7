import { z } from 'zod';
import { AgentMessage, AgentMessageSchema, CoordinatorMessage, CoordinatorMessageSchema } from './messages';

export type Decoded<T> = { ok: true; message: T } | { ok: false; error: string; id?: string };

/** One line naming every problem, e.g. `capabilities.slots: Too small: expected number to be >=1`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(message)'}: ${issue.message}`)
    .join('; ');
}

function decode<T>(schema: z.ZodType<T>, raw: string): Decoded<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'not valid JSON' };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  // Echo the request id back when there is a usable one, so the sender can match the error.
  const maybeId = (value as { id?: unknown } | null)?.id;
  const id = typeof maybeId === 'string' && maybeId.length <= 64 ? maybeId : undefined;
  return { ok: false, error: describeIssues(parsed.error), id };
}

/** Parses and validates a frame from an agent. Never throws. */
export function decodeAgentMessage(raw: string): Decoded<AgentMessage> {
  return decode(AgentMessageSchema, raw);
}

/** Parses and validates a frame from the coordinator. Unknown fields are tolerated (forward compatible). */
export function decodeCoordinatorMessage(raw: string): Decoded<CoordinatorMessage> {
  return decode(CoordinatorMessageSchema, raw);
}

export function encode(message: AgentMessage | CoordinatorMessage): string {
  return JSON.stringify(message);
}

/** The agent's version, sent to the coordinator at auth; kept equal to package.json's by a test. */
export const AGENT_VERSION = '0.1.0';

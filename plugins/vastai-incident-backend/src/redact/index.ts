export { redactText, createRedactor, REDACTED } from './redact';

import { DownloadedFile } from '../../api/IncidentsApi';

/**
 * Hands a file fetched with the user's token to the browser as a download. A plain link
 * to the backend would not carry the Authorization header.
 */
export function saveFile(file: DownloadedFile): void {
  const url = URL.createObjectURL(file.blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked later: the browser reads the blob asynchronously after the click.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** "4:05" / "1:02:03" for a duration in ms. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** A local, readable time with the date when it is not today. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return 'unknown time';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return 'unknown time';
  const sameDay = at.toDateString() === new Date().toDateString();
  return sameDay
    ? at.toLocaleTimeString()
    : `${at.toLocaleDateString()} ${at.toLocaleTimeString()}`;
}

/** The message of anything thrown, for people. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    // ResponseError's message is "Request failed with 409 Conflict"; its cause has the server's words.
    const cause = (error as { cause?: { message?: string } }).cause;
    return cause?.message && cause.message !== error.message
      ? `${error.message}: ${cause.message}`
      : error.message;
  }
  return String(error);
}

export const CHANNEL_LABELS = {
  slack: 'Slack',
  statuspage: 'Status page',
  pagerduty: 'PagerDuty',
} as const;

/** Why a permission-gated control is disabled, or undefined when it is enabled. */
export interface Gate {
  allowed: boolean;
  reason?: string;
}

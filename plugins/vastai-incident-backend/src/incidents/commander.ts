import type {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';

/**
 * The annotation on a User entity that carries the person's Slack member id (e.g. `U024BE7LH`),
 * so a Slack message can mention the incident commander.
 */
export const SLACK_USER_ID_ANNOTATION = 'slack.com/user_id';

/** A Slack member id: U... or W... (Enterprise Grid), upper-case letters and digits only. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** A catalog entity name or namespace (the catalog's own rule, length aside). */
const ENTITY_PART = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;

/** Who the commander is, as the catalog knows them. */
export interface CommanderProfile {
  /** The user's Slack id, when the annotation holds a valid one. */
  slackUserId?: string;
  /** spec.profile.displayName, when set. */
  displayName?: string;
}

/**
 * Looks commanders up as the caller may read the catalog; undefined when the text names no user
 * the catalog shows them.
 */
export interface CommanderDirectory {
  profile(
    commander: string,
    credentials: BackstageCredentials,
  ): Promise<CommanderProfile | undefined>;
}

/**
 * Slack's own escaping for text: `&`, `<` and `>` become entities, so text from the catalog or a
 * form can never become a mention (`<!channel>`, `<@U123>`) or a link.
 */
export const escapeSlackText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The Slack id in the user's annotation if it is one; anything else (hostile or broken) is ignored. */
export function slackUserIdOf(annotation: unknown): string | undefined {
  return typeof annotation === 'string' && SLACK_USER_ID.test(annotation)
    ? annotation
    : undefined;
}

/**
 * The user entity ref a commander text names: `user:ns/name`, `ns/name` or `name` (namespace
 * `default`). Undefined for free text ("Alice Smith") and refs of another kind.
 */
export function commanderUserRef(commander: string): string | undefined {
  const text = commander.trim();
  if (!/^(user:)?([^/:\s]+\/)?[^/:\s]+$/i.test(text)) return undefined;
  try {
    const ref = parseEntityRef(text, {
      defaultKind: 'user',
      defaultNamespace: 'default',
    });
    if (ref.kind.toLowerCase() !== 'user') return undefined;
    if (!ENTITY_PART.test(ref.namespace) || !ENTITY_PART.test(ref.name)) {
      return undefined;
    }
    return stringifyEntityRef(ref);
  } catch {
    return undefined;
  }
}

/**
 * How the Slack message names the commander: a mention `<@U123>` when their User entity carries a
 * valid Slack id, else their display name, else the text as entered (a user ref or a name). The
 * names are escaped: catalog data is never markup.
 */
export function slackCommanderText(
  commander: string,
  profile: CommanderProfile | undefined,
): string {
  if (profile?.slackUserId) return `<@${profile.slackUserId}>`;
  const name = profile?.displayName?.trim();
  return escapeSlackText(name || commander);
}

/**
 * The commander as Slack shows them to the caller; the directory's failures fall back to the
 * name. Without the caller's credentials the catalog is not read at all (the name as entered):
 * a lookup on nobody's behalf would show a user entity to whoever asked.
 */
export async function slackCommander(
  directory: CommanderDirectory | undefined,
  commander: string,
  credentials?: BackstageCredentials,
): Promise<string> {
  const profile =
    directory && credentials
      ? await directory.profile(commander, credentials).catch(() => undefined)
      : undefined;
  return slackCommanderText(commander, profile);
}

/** Whose view of the catalog a lookup is: one cache entry per caller. */
function viewerOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  return `${principal?.type ?? '?'}:${
    principal?.userEntityRef ?? principal?.subject ?? '?'
  }`;
}

/**
 * Commanders from the catalog, read with the caller's own credentials: the display name and
 * Slack id of a User entity the caller may not read never reach them (the catalog's permission
 * policy decides, as for any entity the plugin reads). Remembered per (caller, commander) for
 * `ttlMs`, so a previewing page costs one catalog call per commander per TTL. A failed lookup is
 * not remembered.
 */
export class CatalogCommanderDirectory implements CommanderDirectory {
  private readonly entries = new Map<
    string,
    { until: number; value: Promise<CommanderProfile | undefined> }
  >();

  constructor(
    private readonly options: {
      catalog: CatalogService;
      logger?: LoggerService;
      ttlMs?: number;
      maxEntries?: number;
    },
  ) {}

  profile(
    commander: string,
    credentials: BackstageCredentials,
  ): Promise<CommanderProfile | undefined> {
    const ref = commanderUserRef(commander);
    if (!ref) return Promise.resolve(undefined);
    const key = `${viewerOf(credentials)}\u0000${ref}`;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = this.read(ref, credentials);
    const ttlMs = this.options.ttlMs ?? 60_000;
    if (ttlMs > 0) {
      if (this.entries.size >= (this.options.maxEntries ?? 1000)) {
        this.entries.clear();
      }
      this.entries.set(key, { until: now + ttlMs, value });
      value.catch(() => this.entries.delete(key));
    }
    return value;
  }

  private async read(
    ref: string,
    credentials: BackstageCredentials,
  ): Promise<CommanderProfile | undefined> {
    const { catalog } = this.options;
    try {
      const entity = await catalog.getEntityByRef(ref, { credentials });
      if (!entity || entity.kind.toLowerCase() !== 'user') return undefined;
      const displayName = (entity.spec as any)?.profile?.displayName;
      return {
        slackUserId: slackUserIdOf(
          entity.metadata.annotations?.[SLACK_USER_ID_ANNOTATION],
        ),
        displayName:
          typeof displayName === 'string' && displayName.trim()
            ? displayName.trim().slice(0, 200)
            : undefined,
      };
    } catch (error) {
      this.options.logger?.warn(
        `commander lookup failed; the message names them as entered: ${
          (error as Error)?.name ?? 'Error'
        }`,
      );
      throw error;
    }
  }
}

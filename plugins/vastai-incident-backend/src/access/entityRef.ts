import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { z } from 'zod';

/**
 * Entity ref parts as the catalog allows them (letters, digits, - _ .), so nothing else reaches
 * the catalog, a cache key or a log line.
 */
const ENTITY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The catalog's own limit on each part of a ref (kind, namespace, name). Three parts and their
 * separators stay within every entity-ref column (255 characters), so a longer ref is refused
 * here with a 400, on every database, before anything is written.
 */
export const MAX_REF_PART_LENGTH = 63;

/** The longest `vast.ai/integration` annotation value kept: the integration columns' size. */
export const MAX_INTEGRATION_NAME_LENGTH = 255;

const TOO_LONG = `must be at most ${MAX_REF_PART_LENGTH} characters (the catalog's limit)`;

const entityRefPart = z
  .string()
  .min(1)
  .max(MAX_REF_PART_LENGTH, TOO_LONG)
  .regex(ENTITY_NAME_PATTERN, 'must be letters, digits, ".", "_" or "-"');

/** The `:namespace/:kind/:name` path parameters of the entity routes. */
export const entityParams = z.object({
  namespace: entityRefPart,
  kind: entityRefPart,
  name: entityRefPart,
});

/**
 * The one form of an entity ref the plugin stores, caches, logs and checks permissions on:
 * kind and namespace lower case (the catalog compares them so), the name as given.
 */
export function normalizeEntityRef(ref: CompoundEntityRef): string {
  return stringifyEntityRef({
    kind: ref.kind.toLocaleLowerCase('en-US'),
    namespace: ref.namespace.toLocaleLowerCase('en-US'),
    name: ref.name,
  });
}

/** An entity ref given as text (`kind:namespace/name`), normalised; `kind` limits the kind. */
export const entityRefText = (kind?: string) =>
  z
    .string()
    .min(3)
    .max(255)
    .transform((value, ctx) => {
      let ref: CompoundEntityRef;
      try {
        ref = parseEntityRef(value);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'not an entity ref (kind:namespace/name)',
        });
        return z.NEVER;
      }
      if (kind && ref.kind.toLocaleLowerCase('en-US') !== kind) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a ${kind} entity ref`,
        });
        return z.NEVER;
      }
      for (const part of ['kind', 'namespace', 'name'] as const) {
        if (ref[part].length > MAX_REF_PART_LENGTH) {
          ctx.addIssue({ code: 'custom', message: `${part} ${TOO_LONG}` });
          return z.NEVER;
        }
      }
      if (!ENTITY_NAME_PATTERN.test(ref.name)) {
        ctx.addIssue({ code: 'custom', message: 'invalid entity name' });
        return z.NEVER;
      }
      return normalizeEntityRef(ref);
    });

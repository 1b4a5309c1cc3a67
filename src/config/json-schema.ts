import type { TSchema } from '@sinclair/typebox';

type JsonObject = Record<string, unknown>;

/**
 * TypeBox writes unions as `anyOf`, which makes a validator report every branch's errors for one mistake
 * ("must be equal to constant" eight times). Before compiling we rewrite two common shapes so each error
 * speaks once:
 * - a union of literals becomes `enum`;
 * - a union of objects told apart by a literal `type` property becomes `oneOf` with a discriminator, so
 *   only the branch the `type` names is checked.
 * - a property with a default is not listed as required (the loader fills it in), so editors do not
 *   flag a file that leaves it out.
 * The result is plain JSON Schema; it is also what editors get.
 */
export function toPlainJsonSchema(schema: TSchema): JsonObject {
  return rewrite(JSON.parse(JSON.stringify(schema)) as unknown) as JsonObject;
}

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (node === null || typeof node !== 'object') return node;
  const obj: JsonObject = {};
  for (const [k, v] of Object.entries(node as JsonObject)) obj[k] = rewrite(v);
  dropDefaultedFromRequired(obj);
  const anyOf = obj.anyOf;
  if (!Array.isArray(anyOf)) return obj;
  const branches = anyOf as JsonObject[];
  if (branches.every((b) => 'const' in b)) {
    delete obj.anyOf;
    return { ...obj, enum: branches.map((b) => b.const) };
  }
  if (branches.every(hasTypeDiscriminator)) {
    delete obj.anyOf;
    return { ...obj, type: 'object', oneOf: branches, discriminator: { propertyName: 'type' } };
  }
  return obj;
}

function hasTypeDiscriminator(branch: JsonObject): boolean {
  const props = branch.properties as JsonObject | undefined;
  const typeProp = props?.type as JsonObject | undefined;
  const required = branch.required as unknown[] | undefined;
  return typeProp !== undefined && ('const' in typeProp || 'enum' in typeProp) && (required?.includes('type') ?? false);
}

function dropDefaultedFromRequired(obj: JsonObject): void {
  const required = obj.required;
  const props = obj.properties as Record<string, JsonObject> | undefined;
  if (!Array.isArray(required) || !props) return;
  const stillRequired = required.filter((name) => typeof name !== 'string' || !('default' in (props[name] ?? {})));
  if (stillRequired.length > 0) obj.required = stillRequired;
  else delete obj.required;
}

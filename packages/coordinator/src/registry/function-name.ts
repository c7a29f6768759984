import { invalidParameter, resourceNotFound, validationError } from '../errors.js';

/** A function reference as the Invoke and Get paths accept it, split into name and qualifier. */
export interface FunctionRef {
  name: string;
  qualifier: string | undefined;
}

const NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const QUALIFIER = /^(|[a-zA-Z0-9$_-]{1,128})$/;
// arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier], or 123456789012:function:name[:q]
const FULL_ARN = /^arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):function:([a-zA-Z0-9-_]{1,64})(?::([a-zA-Z0-9$_-]{1,128}))?$/;
const PARTIAL_ARN = /^(\d{12}):function:([a-zA-Z0-9-_]{1,64})(?::([a-zA-Z0-9$_-]{1,128}))?$/;

/**
 * Parses `FunctionName` in any of Lambda's forms: `name`, `name:qualifier`, a full ARN or a partial
 * ARN (lambda-facts 1.1). A `Qualifier` query parameter must agree with one in the name.
 */
export function parseFunctionRef(raw: string, queryQualifier: string | undefined, account: { region: string; accountId: string }): FunctionRef {
  if (raw.length < 1 || raw.length > 256) {
    throw validationError('functionName', raw, 'Member must have length less than or equal to 256');
  }
  let name: string;
  let qualifier: string | undefined;
  const full = FULL_ARN.exec(raw);
  const partial = full ? null : PARTIAL_ARN.exec(raw);
  if (full) {
    if (full[1] !== account.region || full[2] !== account.accountId) throw resourceNotFound(`Function not found: ${raw}`);
    name = full[3]!;
    qualifier = full[4];
  } else if (partial) {
    if (partial[1] !== account.accountId) throw resourceNotFound(`Function not found: ${raw}`);
    name = partial[2]!;
    qualifier = partial[3];
  } else {
    const colon = raw.indexOf(':');
    name = colon < 0 ? raw : raw.slice(0, colon);
    qualifier = colon < 0 ? undefined : raw.slice(colon + 1);
  }
  if (!NAME.test(name)) {
    throw validationError(
      'functionName',
      raw,
      'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
    );
  }
  if (qualifier !== undefined && !QUALIFIER.test(qualifier)) throw validationError('qualifier', qualifier, 'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)');
  if (queryQualifier !== undefined && queryQualifier !== '') {
    if (!QUALIFIER.test(queryQualifier)) throw validationError('qualifier', queryQualifier, 'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)');
    if (qualifier !== undefined && qualifier !== queryQualifier) {
      throw invalidParameter('The derived qualifier from the function name does not match the specified qualifier.');
    }
    qualifier = queryQualifier;
  }
  return { name, qualifier };
}

/** The ARN of a function, optionally qualified. */
export function functionArn(account: { region: string; accountId: string }, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${account.region}:${account.accountId}:function:${name}`;
  return qualifier ? `${base}:${qualifier}` : base;
}

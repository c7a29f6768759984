import { LambdaApiError, invalidParameter, resourceConflict, resourceNotFound, validationError } from '../errors.js';

/**
 * Resource-based policies (docs/api.md): a function's (AddPermission, RemovePermission, GetPolicy)
 * and a layer version's (Add/RemoveLayerVersionPermission, GetLayerVersionPolicy). Each qualifier
 * of a function has its own policy, as on Lambda: the unqualified function (`$LATEST`), each
 * published version and each alias; it is stored with the function record and deleted with its
 * version or alias. A layer version's is stored with the version. zonesim stores and returns
 * policies; it does not evaluate them (callers are authenticated by the cluster's key alone).
 */

/** One statement as stored: Lambda's policy statement JSON. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: '*' | { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

/** A qualifier's policy: its statements and the revision a conditional update names. */
export interface StoredPolicy {
  revisionId: string;
  statements: PolicyStatement[];
}

/** Lambda's limit on a policy document, in bytes. */
export const MAX_POLICY_BYTES = 20 * 1024;

const SID = /^[a-zA-Z0-9-_]+$/;
const ACTION = /^(lambda:[*]|lambda:[a-zA-Z]+|[*])$/;
const ACCOUNT = /^\d{12}$/;
const PRINCIPAL = /^[^\s]+$/;

function field(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw validationError(name.charAt(0).toLowerCase() + name.slice(1), null, 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'string') throw invalidParameter(`${name} must be a string.`);
  return v;
}

/** What an AddPermission body asks for, validated as Lambda's model does. */
export interface AddPermissionInput {
  statementId: string;
  action: string;
  principal: string;
  sourceArn?: string;
  sourceAccount?: string;
  eventSourceToken?: string;
  principalOrgId?: string;
  functionUrlAuthType?: 'NONE' | 'AWS_IAM';
  revisionId?: string;
}

export function parseAddPermission(body: Record<string, unknown>): AddPermissionInput {
  const statementId = field(body, 'StatementId', true)!;
  if (statementId.length < 1 || statementId.length > 100 || !SID.test(statementId)) {
    throw validationError('statementId', statementId, 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)');
  }
  const action = field(body, 'Action', true)!;
  if (!ACTION.test(action)) throw validationError('action', action, 'Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])');
  const principal = field(body, 'Principal', true)!;
  if (!PRINCIPAL.test(principal)) throw validationError('principal', principal, 'Member must satisfy regular expression pattern: [^\\s]+');
  const input: AddPermissionInput = { statementId, action, principal };
  const sourceArn = field(body, 'SourceArn', false);
  if (sourceArn !== undefined) input.sourceArn = sourceArn;
  const sourceAccount = field(body, 'SourceAccount', false);
  if (sourceAccount !== undefined) {
    if (!ACCOUNT.test(sourceAccount)) throw validationError('sourceAccount', sourceAccount, 'Member must satisfy regular expression pattern: \\d{12}');
    input.sourceAccount = sourceAccount;
  }
  const token = field(body, 'EventSourceToken', false);
  if (token !== undefined) input.eventSourceToken = token;
  const org = field(body, 'PrincipalOrgID', false);
  if (org !== undefined) input.principalOrgId = org;
  const urlAuth = field(body, 'FunctionUrlAuthType', false);
  if (urlAuth !== undefined) {
    if (urlAuth !== 'NONE' && urlAuth !== 'AWS_IAM') throw validationError('functionUrlAuthType', urlAuth, 'Member must satisfy enum value set: [NONE, AWS_IAM]');
    input.functionUrlAuthType = urlAuth;
  }
  const revisionId = field(body, 'RevisionId', false);
  if (revisionId !== undefined) input.revisionId = revisionId;
  return input;
}

/** What an AddLayerVersionPermission body asks for. */
export interface AddLayerPermissionInput {
  statementId: string;
  action: string;
  principal: string;
  organizationId?: string;
}

const LAYER_PRINCIPAL = /^(\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root)$/;
const ORGANIZATION = /^o-[a-z0-9]{10,32}$/;

/** AddLayerVersionPermission's body, validated as Lambda's model does (the action is always `lambda:GetLayerVersion`). */
export function parseAddLayerPermission(body: Record<string, unknown>): AddLayerPermissionInput {
  const statementId = field(body, 'StatementId', true)!;
  if (statementId.length < 1 || statementId.length > 100 || !SID.test(statementId)) {
    throw validationError('statementId', statementId, 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)');
  }
  const action = field(body, 'Action', true)!;
  if (action !== 'lambda:GetLayerVersion') throw validationError('action', action, 'Member must satisfy regular expression pattern: lambda:GetLayerVersion');
  const principal = field(body, 'Principal', true)!;
  if (!LAYER_PRINCIPAL.test(principal)) throw validationError('principal', principal, 'Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root');
  const input: AddLayerPermissionInput = { statementId, action, principal };
  const org = field(body, 'OrganizationId', false);
  if (org !== undefined) {
    if (!ORGANIZATION.test(org)) throw validationError('organizationId', org, 'Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}');
    input.organizationId = org;
  }
  return input;
}

/** The statement AddLayerVersionPermission adds on a layer version's ARN. */
export function layerStatementFor(input: AddLayerPermissionInput, versionArn: string): PolicyStatement {
  return {
    Sid: input.statementId,
    Effect: 'Allow',
    Principal: principalOf(input.principal),
    Action: input.action,
    Resource: versionArn,
    ...(input.organizationId === undefined ? {} : { Condition: { StringEquals: { 'aws:PrincipalOrgID': input.organizationId } } }),
  };
}

/** The `Principal` Lambda writes: `*`, an account's root, an IAM ARN, or a service. */
function principalOf(p: string): PolicyStatement['Principal'] {
  if (p === '*') return '*';
  if (ACCOUNT.test(p)) return { AWS: `arn:aws:iam::${p}:root` };
  if (p.startsWith('arn:')) return { AWS: p };
  return { Service: p };
}

/** The statement AddPermission adds for `input` on `resourceArn` (the function or its qualifier's ARN). */
export function statementFor(input: AddPermissionInput, resourceArn: string): PolicyStatement {
  const condition: Record<string, Record<string, string>> = {};
  const equals = (key: string, value: string): void => {
    condition['StringEquals'] = { ...condition['StringEquals'], [key]: value };
  };
  if (input.sourceAccount !== undefined) equals('AWS:SourceAccount', input.sourceAccount);
  if (input.eventSourceToken !== undefined) equals('lambda:EventSourceToken', input.eventSourceToken);
  if (input.principalOrgId !== undefined) equals('aws:PrincipalOrgID', input.principalOrgId);
  if (input.functionUrlAuthType !== undefined) equals('lambda:FunctionUrlAuthType', input.functionUrlAuthType);
  if (input.sourceArn !== undefined) condition['ArnLike'] = { 'AWS:SourceArn': input.sourceArn };
  return {
    Sid: input.statementId,
    Effect: 'Allow',
    Principal: principalOf(input.principal),
    Action: input.action,
    Resource: resourceArn,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

/** The policy document GetPolicy returns, as JSON text. */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements });
}

const preconditionFailed = (): LambdaApiError =>
  new LambdaApiError('PreconditionFailedException', 412, 'The Revision Id provided does not match the latest Revision Id. Call the GetPolicy API to retrieve the latest Revision Id');

/**
 * `policy` with `statement` added: refused when the id is taken, the revision does not match, or
 * the document would pass Lambda's 20 KB.
 */
export function withStatement(policy: StoredPolicy | undefined, statement: PolicyStatement, revisionId: string | undefined, newRevision: string): StoredPolicy {
  if (revisionId !== undefined && revisionId !== policy?.revisionId) throw preconditionFailed();
  const statements = policy?.statements ?? [];
  if (statements.some((s) => s.Sid === statement.Sid)) {
    throw resourceConflict(`The statement id (${statement.Sid}) provided already exists. Please specify a new statement id, or remove the existing statement.`);
  }
  const next = [...statements, statement];
  const size = Buffer.byteLength(policyDocument(next));
  if (size > MAX_POLICY_BYTES) {
    throw new LambdaApiError('PolicyLengthExceededException', 400, `The final policy size (${size}) is bigger than the limit (${MAX_POLICY_BYTES}).`);
  }
  return { revisionId: newRevision, statements: next };
}

/** `policy` without statement `sid` (undefined once empty); refused when there is no such statement. */
export function withoutStatement(policy: StoredPolicy | undefined, sid: string, revisionId: string | undefined, newRevision: string): StoredPolicy | undefined {
  if (!policy) throw resourceNotFound('No policy is associated with the given resource.');
  if (revisionId !== undefined && revisionId !== policy.revisionId) throw preconditionFailed();
  const next = policy.statements.filter((s) => s.Sid !== sid);
  if (next.length === policy.statements.length) throw resourceNotFound(`Statement ${sid} is not found in resource policy.`);
  return next.length === 0 ? undefined : { revisionId: newRevision, statements: next };
}

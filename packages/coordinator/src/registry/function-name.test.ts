import t from 'tap';
import { LambdaApiError } from '../errors.js';
import { functionArn, parseFunctionRef } from './function-name.js';

const account = { region: 'us-east-1', accountId: '000000000000' };

t.test('every form of FunctionName Lambda accepts', async (t) => {
  t.same(parseFunctionRef('my-fn', undefined, account), { name: 'my-fn', qualifier: undefined });
  t.same(parseFunctionRef('my-fn:v1', undefined, account), { name: 'my-fn', qualifier: 'v1' });
  t.same(parseFunctionRef('arn:aws:lambda:us-east-1:000000000000:function:my-fn', undefined, account), { name: 'my-fn', qualifier: undefined });
  t.same(parseFunctionRef('arn:aws:lambda:us-east-1:000000000000:function:my-fn:$LATEST', undefined, account), { name: 'my-fn', qualifier: '$LATEST' });
  t.same(parseFunctionRef('000000000000:function:my-fn', undefined, account), { name: 'my-fn', qualifier: undefined });
  t.same(parseFunctionRef('my-fn', '7', account), { name: 'my-fn', qualifier: '7' });
});

t.test('bad names and mismatches get Lambda errors', async (t) => {
  const err = (f: () => unknown): LambdaApiError => {
    try {
      f();
    } catch (e) {
      return e as LambdaApiError;
    }
    throw new Error('expected an error');
  };
  t.equal(err(() => parseFunctionRef('bad name!', undefined, account)).type, 'ValidationException');
  t.equal(err(() => parseFunctionRef('my-fn:v1', 'v2', account)).type, 'InvalidParameterValueException');
  t.equal(err(() => parseFunctionRef('arn:aws:lambda:eu-west-1:000000000000:function:my-fn', undefined, account)).type, 'ResourceNotFoundException');
  t.equal(err(() => parseFunctionRef('x'.repeat(300), undefined, account)).type, 'ValidationException');
});

t.test('ARNs', async (t) => {
  t.equal(functionArn(account, 'f'), 'arn:aws:lambda:us-east-1:000000000000:function:f');
  t.equal(functionArn(account, 'f', '3'), 'arn:aws:lambda:us-east-1:000000000000:function:f:3');
});

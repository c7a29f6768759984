import t from 'tap';
import { md5OfBody, md5OfMessageAttributes } from './md5.js';

t.test('MD5OfMessageBody is the hex MD5 of the UTF-8 body', async (t) => {
  t.equal(md5OfBody('derp'), '58fd9edd83341c29f1aebba81c31e257');
  t.equal(md5OfBody('This is a test message'), 'fafb00f5732ab283681e124bf8747ed1');
});

t.test('MD5OfMessageAttributes matches the digests SQS returns', async (t) => {
  // Digests of real SQS answers, as pinned by moto's and LocalStack's test suites.
  const number = (v: string) => ({ dataType: 'Number', stringValue: v });
  t.equal(md5OfMessageAttributes({ timestamp: number('1493147359900') }), '235c5c510d26fb653d073faed50ae77c');
  t.equal(md5OfMessageAttributes({ timestamp: number('1493147359901') }), '994258b45346a2cc3f9cbb611aa7af30');
  t.equal(md5OfMessageAttributes({ 'SOME_Valid.attribute-Name': number('1493147359900') }), '36655e7e9d7c0e8479fa3f3f42247ae7');
  // Several attributes of every transport type, in any order: sorted by name, Binary as bytes.
  t.equal(
    md5OfMessageAttributes({
      'öther_encodings': { dataType: 'String', stringValue: 'Tüst' },
      zzz: { dataType: 'Number', stringValue: '0230.01' },
      ccc: { dataType: 'String', stringValue: 'testjunk' },
      aaa: { dataType: 'Binary', binaryValue: Buffer.from([2, 3, 4]) },
    }),
    '8ae21a7957029ef04146b42aeaa18a22',
  );
  t.equal(md5OfMessageAttributes({}), undefined, 'no attributes: no digest');
  t.equal(md5OfMessageAttributes(undefined), undefined);
});

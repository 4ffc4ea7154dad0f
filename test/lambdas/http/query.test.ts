/** Query-string reading at the edge: repeated keys, free `meta.` filters. */
import * as z from 'zod';
import { ValidationError } from '../../../lambdas/domain/errors.js';
import { metaFilters, queryObject, repeatableKeys } from '../../../lambdas/http/query.js';

describe('metaFilters', () => {
  it('takes only meta.<key> pairs and refuses an empty key', () => {
    expect(
      metaFilters([
        ['meta.v', '1'],
        ['zone', 'a'],
        ['meta.r', 'eu'],
      ]),
    ).toEqual({ v: '1', r: 'eu' });
    expect(() => metaFilters([['meta.', 'x']])).toThrow(ValidationError);
  });
});

describe('repeatableKeys', () => {
  it('names the keys whose schema is an array, through defaults and optionals', () => {
    expect(repeatableKeys(z.object({ tag: z.array(z.string()).default([]), service: z.array(z.string()).optional(), limit: z.coerce.number() }))).toEqual([
      'tag',
      'service',
    ]);
  });
});

describe('queryObject', () => {
  it('folds repeatable keys into arrays and refuses a single key given twice', () => {
    expect(
      queryObject(
        [
          ['tag', 'a'],
          ['tag', 'b'],
          ['limit', '5'],
        ],
        ['tag'],
      ),
    ).toEqual({ tag: ['a', 'b'], limit: '5' });
    expect(() =>
      queryObject([
        ['limit', '5'],
        ['limit', '6'],
      ]),
    ).toThrow(ValidationError);
  });
});

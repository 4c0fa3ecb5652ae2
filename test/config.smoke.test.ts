import { expect, test } from 'vitest';
import { validateRef } from '../src/source/ref.js';

test('ref starting with dash is rejected', () => {
  expect(() => validateRef('--upload-pack=x')).toThrow(/starts with "-"/);
});

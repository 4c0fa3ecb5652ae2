import { expect, test } from 'vitest';
import { withLabelInstruction } from '../src/build/build-image.js';

test('label line appended after the last stage', () => {
  const text = withLabelInstruction('FROM a AS build\nRUN true\nFROM b\n\n', { 'x.y': 'v 1', z: '$HOME "q"' }, undefined);

  expect(text).toBe('FROM a AS build\nRUN true\nFROM b\nLABEL "x.y"="v 1" "z"="\\$HOME \\"q\\""\n');
});

test('target before the last stage keeps API labels', () => {
  expect(withLabelInstruction('FROM a AS build\nFROM b AS final\n', { k: 'v' }, 'build')).toBeUndefined();
  expect(withLabelInstruction('FROM a AS build\nFROM b AS final\n', { k: 'v' }, 'FINAL')).toContain('LABEL "k"="v"');
});

test('escape directive keeps API labels', () => {
  expect(withLabelInstruction('# escape=`\nFROM a\n', { k: 'v' }, undefined)).toBeUndefined();
});

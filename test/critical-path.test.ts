import { expect, test } from 'vitest';
import type { CatalogImage } from '../src/catalog/discover-images.js';
import { criticalPathRanks } from '../src/pipeline/rebuild.js';

/** Creates a catalog entry with only the fields the ranking reads. */
function image(name: string, parents: string[] = []): CatalogImage {
  return { name, parents } as unknown as CatalogImage;
}

test('chain head outranks a longer lone image', () => {
  const catalog = [image('base'), image('mid', ['base']), image('leaf', ['mid']), image('lone')];
  const expected = new Map([['base', 10], ['mid', 10], ['leaf', 10], ['lone', 25]]);

  const ranks = criticalPathRanks(catalog, expected);

  expect(ranks.get('base')).toBe(30);
  expect(ranks.get('mid')).toBe(20);
  expect(ranks.get('leaf')).toBe(10);
  expect(ranks.get('lone')).toBe(25);
});

test('longest branch sets the rank', () => {
  const catalog = [image('base'), image('short', ['base']), image('long', ['base']), image('longer', ['long'])];
  const expected = new Map([['base', 1], ['short', 5], ['long', 2], ['longer', 4]]);

  expect(criticalPathRanks(catalog, expected).get('base')).toBe(7);
});

test('images without history count as the mean', () => {
  const catalog = [image('known'), image('new'), image('child', ['new'])];
  const expected = new Map([['known', 30]]);

  const ranks = criticalPathRanks(catalog, expected);

  expect(ranks.get('new')).toBe(60);
  expect(ranks.get('child')).toBe(30);
});

test('no history ranks by chain length', () => {
  const catalog = [image('lone'), image('base'), image('child', ['base'])];

  const ranks = criticalPathRanks(catalog, new Map());

  expect(ranks.get('base')).toBeGreaterThan(ranks.get('lone')!);
});

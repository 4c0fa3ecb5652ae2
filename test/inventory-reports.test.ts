import { describe, expect, test } from 'vitest';
import { parseInventoryOutput } from '../src/inventory/take-inventory.js';
import { comparePythonVersions } from '../src/inventory/versions.js';
import { parseJUnit } from '../src/validate/junit.js';

describe('comparePythonVersions', () => {
  test.each([
    ['1.10.0', '1.9.0'],
    ['1.0', '1.0rc1'],
    ['1.0rc1', '1.0b2'],
    ['1.0a1', '1.0.dev3'],
    ['1.0.post1', '1.0'],
    ['2!0.1', '9.9'],
    ['1.0.1', '1.0'],
  ])('%s sorts above %s', (higher, lower) => {
    expect(comparePythonVersions(higher, lower)).toBeGreaterThan(0);
    expect(comparePythonVersions(lower, higher)).toBeLessThan(0);
  });

  test('trailing zeros are equal', () => {
    expect(comparePythonVersions('1.0', '1.0.0')).toBe(0);
  });
});

describe('parseJUnit', () => {
  test('single testsuite root with an error case', () => {
    const parsed = parseJUnit('<testsuite name="s"><testcase name="a"/><testcase name="b"><error message="boom"/></testcase></testsuite>');
    expect(parsed).toEqual({ passed: 1, failed: 1, skipped: 0, failures: [{ suite: 's', classname: null, name: 'b', kind: 'error', message: 'boom' }] });
  });

  test('nested suites and an empty failure element', () => {
    const parsed = parseJUnit('<testsuites><testsuite name="outer"><testsuite name="inner"><testcase name="c"><failure/></testcase></testsuite></testsuite></testsuites>');
    expect(parsed?.failed).toBe(1);
    expect(parsed?.failures[0]).toMatchObject({ suite: 'inner', name: 'c', kind: 'failure', message: null });
  });

  test('text that is not JUnit', () => {
    expect(parseJUnit('not xml <')).toBeUndefined();
    expect(parseJUnit('<report><item/></report>')).toBeUndefined();
  });
});

describe('parseInventoryOutput', () => {
  test('virtualenv first, python3 repeating it dropped', () => {
    const output = [
      '@@os-release',
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
      '@@dpkg',
      'bash\t5.2.15-2+b2\tinstall ok installed',
      'oldlib\t1.0\tdeinstall ok config-files',
      '@@python /venv/bin/python',
      '@@prefix /venv',
      '@@pip',
      '[{"name": "NumPy", "version": "1.26.4"}, {"name": "typing_extensions", "version": "4.9.0"}]',
      '@@python /venv/bin/python3',
      '@@prefix /venv',
      '@@pip',
      '[{"name": "numpy", "version": "1.26.4"}]',
      '@@python /usr/bin/python3',
      '@@prefix /usr',
      '@@importlib',
      '[{"name": "six", "version": "1.16.0"}]',
      '@@end',
    ].join('\n');

    const inventory = parseInventoryOutput(output);

    expect(inventory.osRelease.PRETTY_NAME).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(inventory.debian).toEqual({ bash: '5.2.15-2+b2' });
    expect(inventory.python).toEqual([
      { interpreter: '/venv/bin/python', virtualenv: '/venv', primary: true, packages: { numpy: '1.26.4', 'typing-extensions': '4.9.0' }, lister: 'pip' },
      { interpreter: '/usr/bin/python3', virtualenv: null, primary: false, packages: { six: '1.16.0' }, lister: 'importlib' },
    ]);
  });
});

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { JUnitSummary, TestFailure } from '../store/validate-types.js';

/** A failure message longer than this is cut, so one huge stack trace cannot bloat the store. */
const MAX_MESSAGE_CHARS = 4_000;

/** Size and modification time of each report file, by path relative to the workdir. */
export type ReportSnapshot = Map<string, string>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
});

/** Records which report files exist before a command runs, so reports left by earlier commands are not counted again. */
export function snapshotReports(dir: string, pattern: string): ReportSnapshot {
  const snapshot: ReportSnapshot = new Map();
  for (const file of fg.sync(pattern, { cwd: dir, onlyFiles: true, dot: true })) {
    snapshot.set(file, fingerprint(path.join(dir, file)));
  }
  return snapshot;
}

/**
 * Reads the JUnit reports that match `pattern` under `dir` and are new or
 * changed since `before`. Returns undefined when the command wrote none;
 * files that are not valid JUnit XML are listed in `invalid`.
 */
export function collectReports(dir: string, pattern: string, before: ReportSnapshot): { summary: JUnitSummary | undefined; invalid: string[] } {
  const files = fg
    .sync(pattern, { cwd: dir, onlyFiles: true, dot: true })
    .filter((file) => before.get(file) !== fingerprint(path.join(dir, file)))
    .sort();
  if (files.length === 0) return { summary: undefined, invalid: [] };

  const summary: JUnitSummary = { files: [], passed: 0, failed: 0, skipped: 0, failures: [] };
  const invalid: string[] = [];
  for (const file of files) {
    const parsed = parseJUnit(readFileSync(path.join(dir, file), 'utf8'));
    if (!parsed) {
      invalid.push(file);
      continue;
    }
    summary.files.push(file);
    summary.passed += parsed.passed;
    summary.failed += parsed.failed;
    summary.skipped += parsed.skipped;
    summary.failures.push(...parsed.failures);
  }
  return { summary: summary.files.length > 0 ? summary : undefined, invalid };
}

/**
 * Counts the test cases of one JUnit XML document, with `<testsuites>` or
 * a single `<testsuite>` at the root and suites nested at any depth. A case
 * with `<failure>` or `<error>` failed, one with `<skipped>` was skipped.
 * Returns undefined for text that is not XML or has no test suite.
 */
export function parseJUnit(xml: string): Omit<JUnitSummary, 'files'> | undefined {
  if (XMLValidator.validate(xml) !== true) return undefined;
  const document = parser.parse(xml) as Record<string, unknown>;
  const roots = [
    ...asNodes((document.testsuites as XmlNode | undefined)?.testsuite),
    ...asNodes(document.testsuite),
  ];
  if (roots.length === 0) return undefined;

  const result = { passed: 0, failed: 0, skipped: 0, failures: [] as TestFailure[] };
  const visit = (suite: XmlNode) => {
    const suiteName = attribute(suite, 'name');
    for (const testCase of asNodes(suite.testcase)) {
      const failure = asNodes(testCase.failure)[0];
      const error = asNodes(testCase.error)[0];
      if (failure || error) {
        result.failed++;
        result.failures.push({
          suite: suiteName,
          classname: attribute(testCase, 'classname'),
          name: attribute(testCase, 'name') ?? '(unnamed test)',
          kind: failure ? 'failure' : 'error',
          message: messageOf((failure ?? error)!),
        });
      } else if (testCase.skipped !== undefined) {
        result.skipped++;
      } else {
        result.passed++;
      }
    }
    for (const child of asNodes(suite.testsuite)) visit(child);
  };
  for (const root of roots) visit(root);
  return result;
}

type XmlNode = Record<string, unknown>;

function asNodes(value: unknown): XmlNode[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  // An empty element such as <failure/> parses to '', which still marks the case.
  return list.map((entry) => (typeof entry === 'object' && entry !== null ? (entry as XmlNode) : { '#text': String(entry) }));
}

function attribute(node: XmlNode, name: string): string | null {
  const value = node[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

function messageOf(node: XmlNode): string | null {
  const text = attribute(node, 'message') ?? attribute(node, '#text');
  if (text === null || text.trim() === '') return null;
  const trimmed = text.trim();
  return trimmed.length > MAX_MESSAGE_CHARS ? `${trimmed.slice(0, MAX_MESSAGE_CHARS)}…` : trimmed;
}

function fingerprint(file: string): string {
  const stats = statSync(file);
  return `${stats.size}:${stats.mtimeMs}`;
}

import type { InventoryRecord } from '../inventory/types.js';
import type { RunRecord } from '../store/types.js';
import type { CommandResultRecord } from '../store/validate-types.js';
import type { ImageValidation } from './validate-image.js';

/** Converts one image's validation to its `--json` form. */
export function toImageJson({ record, commands, inventory }: ImageValidation) {
  return {
    name: record.image,
    status: record.status,
    image: record.reference,
    durationMs: record.durationMs,
    log: record.logPath,
    error: record.error,
    commands: commands.map(toCommandJson),
    inventory: inventory ? summarizeInventory(inventory) : null,
    inventoryError: record.inventoryError,
  };
}

function toCommandJson(command: CommandResultRecord) {
  return {
    command: command.command,
    status: command.status,
    exitCode: command.exitCode,
    durationMs: command.durationMs,
    error: command.error,
    tests: command.junit
      ? {
          passed: command.junit.passed,
          failed: command.junit.failed,
          skipped: command.junit.skipped,
          reports: command.junit.files,
          failures: command.junit.failures.map((failure) => ({
            name: failure.name,
            classname: failure.classname,
            kind: failure.kind,
            message: failure.message,
          })),
        }
      : null,
    classification: command.classification,
    production: command.production,
  };
}

function summarizeInventory(inventory: InventoryRecord) {
  const primary = inventory.python.find((environment) => environment.primary);
  return {
    os: inventory.osRelease.PRETTY_NAME ?? null,
    debianPackages: Object.keys(inventory.debian).length,
    python: primary ? { interpreter: primary.interpreter, packages: Object.keys(primary.packages).length } : null,
  };
}

/** Converts a run header to its `--json` form. */
export function toRunJson(run: RunRecord, extra: Record<string, unknown> = {}) {
  return {
    id: run.id,
    kind: run.kind,
    status: run.status,
    commit: run.commitHash,
    shortCommit: run.shortCommit,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.error,
    ...extra,
  };
}

/** Formats a short text line per command for the terminal summary. */
export function formatImageLines(validation: ImageValidation): string[] {
  const { record, commands } = validation;
  const lines = [`  ${record.image}: ${record.status}${record.error && record.status !== 'failed' ? ` (${record.error})` : ''}`];
  for (const command of commands) {
    const exit = command.exitCode === null ? '' : ` (exit ${command.exitCode})`;
    const classification = command.classification ? ` [${command.classification}]` : '';
    lines.push(`    ${command.status.padEnd(9)} ${command.command}${exit}${classification}`);
    if (command.junit) {
      lines.push(`              tests: ${command.junit.passed} passed, ${command.junit.failed} failed, ${command.junit.skipped} skipped`);
      for (const failure of command.junit.failures) lines.push(`              ✗ ${failure.classname ? `${failure.classname}.` : ''}${failure.name}`);
    }
  }
  if (record.logPath && record.status !== 'passed') lines.push(`    log: ${record.logPath}`);
  return lines;
}

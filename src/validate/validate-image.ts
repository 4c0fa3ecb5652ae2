import path from 'node:path';
import type Docker from 'dockerode';
import { LogFile } from '../build/log-file.js';
import { planComposeValidation } from '../catalog/compose-validation.js';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { describeError } from '../errors.js';
import { takeInventory } from '../inventory/take-inventory.js';
import type { InventoryRecord } from '../inventory/types.js';
import type { Logger } from '../logger.js';
import { secretValues } from '../secrets.js';
import type { ImageResultRecord, RunRecord } from '../store/types.js';
import type {
  CommandResultRecord,
  CommandStatus,
  FailureClassification,
  ValidateImageRecord,
} from '../store/validate-types.js';
import { resolveProductionImage, resolveStagingImage } from './image-source.js';
import { collectReports, snapshotReports } from './junit.js';
import { runContainer } from './run-container.js';
import { addWorktree, removeWorktree } from './worktree.js';

export interface ImageValidation {
  record: ValidateImageRecord;
  commands: CommandResultRecord[];
  inventory: InventoryRecord | null;
}

export interface ValidateImageContext {
  settings: Settings;
  env: DrydockEnv;
  docker: Docker;
  run: RunRecord;
  /** The commit the image was built from. */
  commit: string;
  logDir: string;
  logger: Logger;
  signal: AbortSignal;
  clock: () => Date;
  /** Receives every state change of the image and each finished command, for the store and progress output. */
  onRecord: (record: ValidateImageRecord) => void;
  onCommand: (command: CommandResultRecord) => void;
  onInventory: (inventory: InventoryRecord) => void;
  /** Lines for the top of the log, such as why an earlier attempt on another engine stopped. */
  notes?: string[];
}

/**
 * Validates one built image: pulls it, takes its inventory, runs each test
 * command in a fresh container over a checkout of the built commit, and
 * reruns the failing commands on the production image to classify them.
 */
export async function validateImage(context: ValidateImageContext, build: ImageResultRecord): Promise<ImageValidation> {
  const { settings, run, signal } = context;
  const logger = context.logger.child({ image: build.image });
  const started = context.clock();
  const log = new LogFile(path.join(context.logDir, `${build.image}.validate.log`), { secrets: secretValues() });
  const record: ValidateImageRecord = {
    runId: run.id,
    image: build.image,
    rebuildRunId: build.runId,
    status: 'running',
    reference: null,
    logPath: log.path,
    error: null,
    cause: null,
    inventoryError: null,
    durationMs: null,
    startedAt: started.toISOString(),
    finishedAt: null,
  };
  const commands: CommandResultRecord[] = [];
  let inventory: InventoryRecord | null = null;
  const worktrees: string[] = [];
  context.onRecord({ ...record });

  const finish = (fields: Partial<ValidateImageRecord>) => {
    const finished = context.clock();
    Object.assign(record, fields, { finishedAt: finished.toISOString(), durationMs: finished.getTime() - started.getTime() });
    context.onRecord({ ...record });
  };

  try {
    for (const note of context.notes ?? []) await log.note(note);
    await log.note(`run ${run.id}: validating ${build.image} built by run ${build.runId} from ${context.commit}`);
    const staging = await resolveStagingImage(context.docker, build, { env: context.env, log, signal });
    if (!staging.ok) {
      finish(signal.aborted ? { status: 'cancelled', cause: 'cancelled', error: 'cancelled' } : { status: 'error', cause: staging.cause, error: staging.error });
      logger.warn({ error: staging.error }, 'staging image not available');
      return { record, commands, inventory };
    }
    record.reference = staging.reference;

    const labels = { 'drydock.run-id': run.id, 'drydock.image': build.image };
    await log.note('taking the inventory of installed packages');
    const listed = await takeInventory(context.docker, {
      image: staging.reference,
      virtualenvs: settings.validate.inventory.virtualenvs,
      labels,
      log,
      signal,
      logger,
    });
    if ('error' in listed) {
      record.inventoryError = listed.error;
      await log.note(`inventory failed: ${listed.error}`);
      logger.warn({ error: listed.error }, 'inventory failed');
    } else {
      inventory = { ...listed.inventory, rebuildRunId: build.runId, image: build.image, validateRunId: run.id, imageRef: staging.reference, takenAt: context.clock().toISOString() };
      context.onInventory(inventory);
    }

    const configured = settings.validate.tests[build.image] ?? [];
    const worktree = path.join(settings.stateDir, 'worktrees', run.id, build.image);
    worktrees.push(worktree);
    if (configured.length > 0 || settings.validate.fromCompose) await addWorktree(settings.stateDir, context.commit, worktree, logger);

    // Compose hook: without validate.tests, validate.fromCompose takes the command from the image's Compose service.
    const composePlan = configured.length === 0 ? planComposeValidation(settings, worktree, build.image) : undefined;
    if (composePlan) await log.note(`test command from the Compose service (validate.fromCompose): ${composePlan.command}`);
    const tests = composePlan ? [composePlan.command] : configured;
    if (tests.length === 0) await log.note(`no test commands configured for ${build.image} (validate.tests.${build.image})`);

    for (const [position, command] of tests.entries()) {
      const result = await runTestCommand(context, { image: build.image, reference: staging.reference, worktree, position, command, log, labels, logger });
      commands.push(result);
      context.onCommand(result);
    }

    const failing = commands.filter((command) => command.status === 'failed' || command.status === 'timeout');
    if (failing.length > 0 && !signal.aborted) {
      const productionTree = `${worktree}.production`;
      worktrees.push(productionTree);
      await classifyFailures(context, { image: build.image, failing, worktree: productionTree, log, labels, logger });
    }

    finish(summarize(commands, signal.aborted));
    logger.info({ status: record.status }, 'image validated');
  } catch (error) {
    finish({ status: signal.aborted ? 'cancelled' : 'error', cause: signal.aborted ? 'cancelled' : 'engine', error: describeError(error) });
    logger.error({ err: error }, 'validation of the image failed');
  } finally {
    for (const dir of worktrees) await removeWorktree(settings.stateDir, dir, logger);
    await log.note(`finished: ${record.status}${record.error ? ` (${record.error})` : ''}`).catch(() => undefined);
    await log.close();
  }
  return { record, commands, inventory };
}

interface CommandTarget {
  image: string;
  reference: string;
  worktree: string;
  position: number;
  command: string;
  log: LogFile;
  labels: Record<string, string>;
  logger: Logger;
}

async function runTestCommand(context: ValidateImageContext, target: CommandTarget): Promise<CommandResultRecord> {
  const { settings } = context;
  const { junit } = settings.validate;
  const base = { runId: context.run.id, image: target.image, position: target.position, command: target.command, classification: null, production: null };

  await target.log.note(`command ${target.position + 1}: ${target.command}`);
  const before = junit ? snapshotReports(target.worktree, junit) : new Map<string, string>();
  const outcome = await runCommandIn(context, target.reference, target.command, target.worktree, target);
  await target.log.note(`command ${target.position + 1} ${outcome.status}${outcome.exitCode === null ? '' : ` with exit code ${outcome.exitCode}`} in ${(outcome.durationMs / 1000).toFixed(1)} s`);

  let summary: CommandResultRecord['junit'] = null;
  if (junit) {
    const reports = collectReports(target.worktree, junit, before);
    summary = reports.summary ?? null;
    for (const file of reports.invalid) await target.log.note(`ignored ${file}: not a JUnit XML report`);
    if (summary) await target.log.note(`JUnit: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped in ${summary.files.join(', ')}`);
  }
  return { ...base, status: outcome.status, exitCode: outcome.exitCode, durationMs: outcome.durationMs, error: outcome.error, junit: summary };
}

function runCommandIn(
  context: ValidateImageContext,
  image: string,
  command: string,
  worktree: string,
  target: Pick<CommandTarget, 'image' | 'log' | 'labels' | 'logger' | 'position'>,
) {
  const { validate } = context.settings;
  // Compose hook: the service's working_dir, environment and repository mounts replace validate's own.
  // NOTE: read-only Compose mounts are mounted read-write here, because the container request has no read-only form.
  const compose = planComposeValidation(context.settings, worktree, target.image);
  return runContainer(context.docker, {
    image,
    command,
    workdir: compose?.workdir ?? validate.workdir,
    mounts: compose?.mounts ?? { [validate.workdir]: worktree },
    env: compose?.env ?? validate.env,
    network: validate.network,
    labels: { ...target.labels, 'drydock.command': String(target.position) },
    timeoutMs: validate.timeoutMinutes * 60_000,
    signal: context.signal,
    log: target.log,
    logger: target.logger,
  });
}

/**
 * Reruns each failing command on the production image, in a checkout of its
 * own, and classifies the failure by the outcome there.
 */
async function classifyFailures(
  context: ValidateImageContext,
  target: { image: string; failing: CommandResultRecord[]; worktree: string; log: LogFile; labels: Record<string, string>; logger: Logger },
): Promise<void> {
  const { log } = target;
  const production = await resolveProductionImage(context.docker, context.settings, target.image, { env: context.env, log, signal: context.signal });
  if (!production.ok) {
    for (const command of target.failing) {
      command.classification = 'unknown';
      command.production = { reference: production.reference, status: null, exitCode: null, note: production.note };
      context.onCommand(command);
    }
    return;
  }

  // NOTE: the rerun starts from a clean checkout, so a failing command that
  // needs files an earlier, passing command wrote fails on production too.
  await addWorktree(context.settings.stateDir, context.commit, target.worktree, target.logger);
  for (const command of target.failing) {
    if (context.signal.aborted) break;
    await log.note(`rerunning command ${command.position + 1} on production image ${production.reference}`);
    const outcome = await runCommandIn(context, production.reference, command.command, target.worktree, { ...target, position: command.position });
    command.classification = classify(outcome.status);
    command.production = { reference: production.reference, status: outcome.status, exitCode: outcome.exitCode, note: production.note };
    await log.note(`command ${command.position + 1} on production: ${outcome.status}; classified as ${command.classification}`);
    context.onCommand(command);
  }
}

/** Classifies a staging failure by what the same command did on the production image. */
export function classify(productionStatus: CommandStatus): FailureClassification {
  if (productionStatus === 'passed') return 'image-regression';
  if (productionStatus === 'failed' || productionStatus === 'timeout') return 'source-failure';
  return 'unknown';
}

function summarize(commands: CommandResultRecord[], cancelled: boolean): Partial<ValidateImageRecord> {
  if (cancelled) return { status: 'cancelled', cause: 'cancelled', error: 'run cancelled' };

  const errored = commands.find((command) => command.status === 'error');
  if (errored) return { status: 'error', cause: 'engine', error: `command ${errored.position + 1}: ${errored.error}` };

  const failed = commands.filter((command) => command.status !== 'passed');
  if (failed.length === 0) return { status: 'passed' };
  const list = failed.map((command) => `command ${command.position + 1} ${command.status}`).join(', ');
  return { status: 'failed', cause: 'tests', error: list };
}

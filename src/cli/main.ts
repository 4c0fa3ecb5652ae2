import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { loadDotEnv } from '../config/env.js';
import { ConfigError, describeError } from '../errors.js';

// Each command's module is imported when the command runs, so `drydock status`
// does not pay for loading the Docker, Discord and dashboard clients.

/** Exit status for a usage or configuration error. */
export const EXIT_USAGE = 2;

/**
 * Runs the command line and returns the exit status: 0 when every image
 * succeeded, 1 when any failed, 2 for a usage or configuration error.
 */
export async function main(argv: string[]): Promise<number> {
  loadDotEnv(path.resolve('.env'));

  let status = 0;
  const program = new Command('drydock')
    .description('Rebuild, push and report on a project\'s CI Docker images.')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError('(run drydock --help for usage)');

  const configOption = () => new Option('--config <file>', 'drydock.yml to read (default ./drydock.yml when it exists)');
  const stateOption = () => new Option('--state-dir <dir>', 'folder for the clone, logs and store (default .drydock)');

  program
    .command('rebuild')
    .description('Fetch the sources, rebuild every image from scratch, tag and push it to the staging registry.')
    .addOption(configOption())
    .option('--repo <url-or-path>', 'git repository to build from (source.repo)')
    .option('--ref <ref>', 'branch, tag or commit to build (source.ref)')
    .option('--images <names>', 'comma-separated image names to build (default all)')
    .option('--registry <location>', 'staging registry as host[:port]/namespace (registry.staging)')
    .addOption(stateOption())
    .option('--no-push', 'build and tag, but push nothing')
    .option('--json', 'print one JSON summary on stdout')
    .action(async (options) => {
      status = await (await import('./rebuild-command.js')).runRebuildCommand(options);
    });

  program
    .command('status')
    .description('Print the matrix of image outcomes by day from the store.')
    .addOption(configOption())
    .addOption(stateOption())
    .option('--days <count>', 'number of days to show', '14')
    .option('--json', 'print the matrix as JSON on stdout')
    .action(async (options) => {
      status = await (await import('./status-command.js')).runStatusCommand(options);
    });

  program
    .command('validate')
    .description('Run the configured test commands in the images of a rebuild run, take their inventory and classify failures.')
    .addOption(configOption())
    .addOption(stateOption())
    .option('--images <names>', 'comma-separated image names to validate (default every image the run built)')
    .addOption(new Option('--tag <tag>', 'validate the rebuild run that tagged its images TAG').conflicts('run'))
    .option('--run <id>', 'validate the images of this rebuild run (default the newest run that built an image)')
    .option('--json', 'print one JSON summary on stdout')
    .action(async (options) => {
      status = await (await import('./validate-command.js')).runValidateCommand(options);
    });

  program
    .command('images')
    .description('Fetch the sources and print the image catalog: each image\'s source, Dockerfile, context, build arguments, base images, parents and tests, in build order.')
    .addOption(configOption())
    .option('--repo <url-or-path>', 'git repository to read (source.repo)')
    .option('--ref <ref>', 'branch, tag or commit to read (source.ref)')
    .addOption(stateOption())
    .option('--json', 'print the catalog as JSON on stdout')
    .action(async (options) => {
      status = await (await import('./images-command.js')).runImagesCommand(options);
    });

  program
    .command('engines')
    .description('Check each configured Docker engine and list its state, slots, platforms and labels.')
    .addOption(configOption())
    .option('--json', 'print the list as JSON on stdout')
    .action(async (options) => {
      status = await (await import('./engines-command.js')).runEnginesCommand(options);
    });

  program
    .command('serve')
    .description('Serve the dashboard (matrix, run pages, live logs, JSON API, badges) until stopped.')
    .addOption(configOption())
    .addOption(stateOption())
    .option('--listen <host:port>', 'address to listen on (dashboard.listen, default 127.0.0.1:8080)')
    .option('--public-url <url>', 'address readers use, for links posted elsewhere (dashboard.publicUrl)')
    .action(async (options) => {
      status = await (await import('./serve-command.js')).runServeCommand(options);
    });

  program
    .command('triage')
    .description('List the failure fingerprints with their images, first and last night, count, class and GitHub issue.')
    .addOption(configOption())
    .addOption(stateOption())
    .option('--json', 'print the fingerprints as JSON on stdout')
    .option('--file-issue <image>', "file or update the GitHub issue of the image's newest failure (needs GITHUB_TOKEN and github.repo)")
    .option('--run <id>', 'with --file-issue, the run whose failure to file')
    .action(async (options) => {
      status = await (await import('./triage-command.js')).runTriageCommand(options);
    });

  program
    .command('bot')
    .description('Run the service: the nightly schedule and, with DISCORD_TOKEN, the Discord bot, until SIGTERM.')
    .addOption(configOption())
    .addOption(stateOption())
    .addOption(new Option('--on-shutdown <mode>', 'what SIGTERM does to a run in flight (discord.onShutdown, default cancel)').choices(['finish', 'cancel']))
    .action(async (options) => {
      status = await (await import('./bot-command.js')).runBotCommand(options);
    });

  program
    .command('nightly')
    .description('Rebuild every image, then validate each one that built, as one nightly run.')
    .addOption(configOption())
    .option('--repo <url-or-path>', 'git repository to build and validate from (source.repo)')
    .option('--ref <ref>', 'branch, tag or commit to build and validate (source.ref)')
    .option('--registry <location>', 'staging registry as host[:port]/namespace (registry.staging)')
    .option('--images <names>', 'comma-separated image names to build and validate (default all)')
    .option('--no-push', 'build, tag and validate, but push nothing')
    .addOption(stateOption())
    .option('--json', 'print one JSON object with both runs and each image\'s results on stdout')
    .action(async (options) => {
      status = await (await import('./nightly-command.js')).runNightlyCommand(options);
    });

  program
    .command('promote')
    .description('Copy a validated staging image to the production registry by digest, and open or update the tag-bump pull request.')
    .argument('<image>', 'image name, such as ci_cpu')
    .requiredOption('--tag <tag>', 'staging tag to promote, such as 2026-01-31-05-00-00-abc1234')
    .option('--as <tag>', 'production tag to write (default the staging tag)')
    .option('--force', 'promote although drydock did not build or validate the digest; the store records the override')
    .option('--dry-run', 'show what would change and change nothing')
    .addOption(configOption())
    .addOption(stateOption())
    .option('--json', 'print one JSON summary on stdout')
    .action(async (image: string, options) => {
      status = await (await import('./promote-command.js')).runPromoteCommand(image, options);
    });

  const inventory = program
    .command('inventory')
    .description('Show the Python packages that differ within consistency groups, or with --diff what changed since each image\'s last green build.')
    .addOption(configOption())
    .addOption(stateOption())
    .option('--image <name>', 'show only this image')
    .option('--diff', 'show packages added, removed or changed since the previous green build')
    .option('--json', 'print JSON on stdout')
    .action(async (options) => {
      status = await (await import('./inventory-command.js')).runInventoryCommand(options);
    });
  inventory
    .command('constraints')
    .description('Print a pip constraints file per consistency group: each package at the highest version in the group.')
    .addOption(configOption())
    .addOption(stateOption())
    .action(async (options) => {
      status = await (await import('./inventory-command.js')).runConstraintsCommand(options);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    process.stderr.write(`drydock: ${describeError(error)}\n`);
    return error instanceof ConfigError ? EXIT_USAGE : 1;
  }
}

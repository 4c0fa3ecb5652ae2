// @ts-check
// The slash commands drydock registers in its guild, one file per command.
import { definition as cancel } from './cancel.js';
import { definition as fileIssue } from './file-issue.js';
import { definition as logs } from './logs.js';
import { definition as oncall } from './oncall.js';
import { definition as promote } from './promote.js';
import { definition as rebuild } from './rebuild.js';
import { definition as schedule } from './schedule.js';
import { definition as status } from './status.js';
import { definition as validate } from './validate.js';

export const definitions = [status, logs, schedule, rebuild, validate, cancel, oncall, fileIssue, promote];

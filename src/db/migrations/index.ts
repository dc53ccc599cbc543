// Every migration, oldest first. A new step is a new file here named `<next number>-<words>.ts`
// exporting `migration`, listed below; a step already released is never edited or removed, since
// databases have recorded it under its id. (The list is written out rather than read from the
// folder so the esbuild bundles carry it.)
import { migration as indexes } from './0001-indexes';
import { migration as usageUnits } from './0002-usage-units';
import { migration as meterErrors } from './0003-meter-errors';
import { migration as adminFigures } from './0004-admin-figures';
import type { Migration } from './step';

export const migrations: readonly Migration[] = [indexes, usageUnits, meterErrors, adminFigures];

import { FIELD_NAME } from './jobRows';
import { JOB_STATUSES, type AnalysisFilter, type JobStatus } from './jobs';

const ANALYSIS_STATES: ReadonlyArray<JobStatus | 'none'> = [...JOB_STATUSES, 'none'];

/**
 * The analysis part of a call filter, from its status as typed (`done`, `none`, …) and a field as typed
 * (`sentiment=negative`); a value that cannot be understood adds a line to `problems` and is left out.
 */
export function parseAnalysisFilter(status: string, field: string, problems: string[]): AnalysisFilter | undefined {
  const filter: AnalysisFilter = {};
  if (status) {
    const known = ANALYSIS_STATES.find((state) => state === status);
    if (known) filter.status = known;
    else problems.push(`analysis: "${status}" is not one of ${ANALYSIS_STATES.join(', ')}`);
  }
  if (field) {
    const split = field.indexOf('=');
    const name = split < 0 ? '' : field.slice(0, split).trim();
    const value = split < 0 ? '' : field.slice(split + 1).trim();
    if (!FIELD_NAME.test(name) || value === '') {
      problems.push(`field: "${field}" is not name=value with a name of letters, digits and _ (e.g. sentiment=negative)`);
    } else filter.field = { name, value };
  }
  return filter.status || filter.field ? filter : undefined;
}

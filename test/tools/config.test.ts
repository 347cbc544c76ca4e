import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { problemsOf } from '../support/configProblems';

const minimal = { OPENAI_API_KEY: 'sk-test' };


function jsonFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'transfer-')), 'directory.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('tool settings', () => {
  it('default to the tools/ folder, 8 s, 16 KB, nothing disabled and no transfers', () => {
    expect(loadConfig(minimal).tools).toEqual({
      dir: 'tools',
      timeoutMs: 8000,
      maxOutputBytes: 16_384,
      disabled: [],
      transfer: { number: undefined, directory: {} },
    });
  });

  it('read the folder, the timeout and the disabled tools', () => {
    const env = { TOOLS_DIR: ' /srv/tools ', TOOL_TIMEOUT_MS: '2500', DISABLED_TOOLS: ' end_call, ,get_current_time ' };
    expect(loadConfig({ ...minimal, ...env }).tools).toMatchObject({
      dir: '/srv/tools',
      timeoutMs: 2500,
      disabled: ['end_call', 'get_current_time'],
    });
    expect(problemsOf({ ...minimal, TOOL_TIMEOUT_MS: '50' })).toEqual(['TOOL_TIMEOUT_MS must be at least 100']);
    expect(problemsOf({ ...minimal, TOOL_TIMEOUT_MS: 'soon' })).toEqual(['TOOL_TIMEOUT_MS must be a number']);
  });

  it('take TRANSFER_NUMBER in E.164 form only', () => {
    expect(loadConfig({ ...minimal, TRANSFER_NUMBER: '+14155550100' }).tools.transfer.number).toBe('+14155550100');
    for (const number of ['4155550100', '+0415555', '+1 415 555 0100']) {
      expect(problemsOf({ ...minimal, TRANSFER_NUMBER: number })).toEqual([
        'TRANSFER_NUMBER must be a phone number in E.164 form, e.g. +14155550123',
      ]);
    }
  });

  it('read the transfer directory from a JSON file', () => {
    const directory = {
      sales: { number: '+14155550101', description: 'New orders and quotes' },
      'front desk': { number: '+14155550102', description: 'Anything else' },
    };
    const config = loadConfig({ ...minimal, TRANSFER_DIRECTORY_FILE: jsonFile(directory) });
    expect(config.tools.transfer).toEqual({ number: undefined, directory });
  });

  it('name the directory file and the entry that is wrong', () => {
    const file = jsonFile({ sales: { number: '555-0101', description: 'New orders' } });
    expect(problemsOf({ ...minimal, TRANSFER_DIRECTORY_FILE: file })).toEqual([
      `TRANSFER_DIRECTORY_FILE ${file}: sales.number must be a phone number in E.164 form, e.g. +14155550123`,
    ]);
    const undescribed = jsonFile({ sales: { number: '+14155550101', description: ' ' } });
    expect(problemsOf({ ...minimal, TRANSFER_DIRECTORY_FILE: undescribed })).toEqual([
      `TRANSFER_DIRECTORY_FILE ${undescribed}: sales.description must say who answers there`,
    ]);
    const badName = jsonFile({ 'sales!': { number: '+14155550101', description: 'New orders' } });
    expect(problemsOf({ ...minimal, TRANSFER_DIRECTORY_FILE: badName })).toEqual([
      `TRANSFER_DIRECTORY_FILE ${badName}: sales! must be a name of 1-64 letters, digits, spaces, _ or -`,
    ]);
    const empty = jsonFile({});
    expect(problemsOf({ ...minimal, TRANSFER_DIRECTORY_FILE: empty })).toEqual([
      `TRANSFER_DIRECTORY_FILE ${empty}: must list at least one destination`,
    ]);
    expect(problemsOf({ ...minimal, TRANSFER_DIRECTORY_FILE: jsonFile('{ sales: ') })).toEqual([
      expect.stringMatching(/^TRANSFER_DIRECTORY_FILE cannot be read as JSON: /),
    ]);
    expect(problemsOf({ ...minimal, TRANSFER_DIRECTORY_FILE: '/nope/directory.json' })).toEqual([
      expect.stringMatching(/^TRANSFER_DIRECTORY_FILE cannot be read as JSON: ENOENT/),
    ]);
  });
});

import { modelFamily } from '../realtime/models';
import type { AnalysisUsage } from '../store';

/** USD per 1M tokens of a text model. */
export interface TextModelPrices {
  input: number;
  cachedInput: number;
  output: number;
}

/** Standard-tier prices of text models often used for analysis; others come from the ANALYSIS_*_USD_PER_1M settings. */
export const TEXT_MODEL_PRICES: Readonly<Record<string, TextModelPrices>> = {
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
};

/** The built-in prices of a model or of its family (a dated snapshot); undefined when unknown. */
export function builtInTextPrices(model: string): TextModelPrices | undefined {
  return TEXT_MODEL_PRICES[model] ?? TEXT_MODEL_PRICES[modelFamily(model)];
}

/** Estimated USD for one analysis; 0 without prices. */
export function analysisCostUsd(usage: AnalysisUsage, prices: TextModelPrices | undefined): number {
  if (!prices) return 0;
  return (usage.inputTokens * prices.input + usage.cachedInputTokens * prices.cachedInput + usage.outputTokens * prices.output) / 1_000_000;
}

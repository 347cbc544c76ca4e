/** Post-call analysis: a text model reads the transcript as heard and returns a summary and the operator's fields. */
export { DEFAULT_FIELDS_SCHEMA, responseSchema, strictSchemaProblems, type JsonSchema } from './schema';
export { schemaViolations } from './validate';
export { analysisPrompt, type AnalysisPrompt } from './prompt';
export { askModel, asFailure, AnalysisFailure, type ModelAnswer } from './model';
export { analysisCostUsd, builtInTextPrices, TEXT_MODEL_PRICES, type TextModelPrices } from './prices';
export { afterFailedAnalysis, ANALYSIS_BACKOFF } from './retry';
export { runAnalysis, type AnalysisDeps, type AnalysisOutcome, type AnalysisSettings } from './runner';

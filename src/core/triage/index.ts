/**
 * Triage of inbound messages (issue #4): what a message is and what it needs.
 *
 *   import { triage, linearClassifier, withFallback, triageWith } from './core/triage/index.js';
 *   import { loadShippedModel } from './triage/model-io.js';      // I/O side
 *   const model = loadShippedModel();
 *   const result = triage(input, now, model);                    // sync, ~30 µs
 *   const result2 = await triageWith(linearClassifier(model), input, now); // pluggable
 *
 * See docs/model-card.md for data, licences, metrics and weaknesses.
 */
export { triage, triageBatch, computeSignals, decide, assemble, DEFAULT_SETTINGS, effectiveSettings, stackedFeaturesOf } from './triage.js';
export { linearClassifier, withFallback, triageWith, completeSignals, SIGNAL_FIELDS, DEFAULT_UNCERTAIN_FIELDS } from './classifier.js';
export type { TriageClassifier, FallbackOptions, SignalField } from './classifier.js';
export { trainFromExamples } from './learn.js';
export type { LearnOptions, LearnReport } from './learn.js';
export { encodeModel, decodeModel } from './model.js';
export type { TriageModel, TriageSettings, PrioritySettings, HeadName } from './model.js';
export { CARE_INTENTS, BANKING77_TO_CARE, CARE_INTENT_LABELS } from './intents.js';
export type { CareIntent } from './intents.js';
export { sanitizeText, MAX_TRIAGE_CHARS } from './text.js';
export { detectLanguage } from './language.js';
export type { TriageInput, TriageContext, TriageSignals, TriageOutcome, LabelledExample } from './types.js';

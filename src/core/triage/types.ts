/**
 * Triage input/output shapes. `TriageOutcome` extends the domain `TriageResult`
 * (src/core/types.ts) compatibly: everything a store column needs is in the base
 * type; the extras (needs-response, raw scores) are for audit and evaluation.
 */
import type { MessageKind, Network, Scored, Sentiment, TriageCategory, TriageResult, Visibility } from '../types.js';

export interface TriageInput {
  text: string;
  network: Network;
  visibility: Visibility;
  kind: MessageKind;
  author?: {
    handle?: string | null;
    followers?: number | null;
    verified?: boolean | null;
  } | null;
  /** When the network says it was created (ms since epoch). */
  createdAt: number;
  context?: TriageContext | null;
}

/** What the pipeline knows about the conversation at ingest time. */
export interface TriageContext {
  /** When the oldest inbound message the brand has not yet answered arrived (ms). */
  unansweredSince?: number | null;
  /** Texts of earlier inbound messages in this conversation that are still unanswered, oldest first. */
  previousInbound?: readonly string[] | null;
  /** The brand's own handles on this network (without `@`), to tell "addressed to us" apart. */
  brandHandles?: readonly string[] | null;
  /** The item this message replies to, if known. */
  replyTo?: { fromBrand: boolean; sameAuthor?: boolean | null } | null;
  /** Number of ancestors of this message in its thread (0 = starts the thread). */
  threadDepth?: number | null;
}

/**
 * What a classifier judges about a message. The built-in linear classifier fills all
 * of it; a plug-in (LLM, transformer) may fill only some fields (see classifier.ts).
 */
export interface TriageSignals {
  category: Scored<TriageCategory>;
  complaint: Scored<boolean>;
  sentiment: Scored<Sentiment>;
  accolade: Scored<boolean>;
  chaser: Scored<boolean>;
  intent: Scored<string> | null;
  language: Scored<string>;
  /** Whether an agent should answer, before policy (category overrides: spam/abuse never). */
  needsResponse: Scored<boolean>;
  /** Raw model scores (0..1) by name, for audit: spam, offensive, negative, positive, care, problem, ... */
  scores?: Record<string, number>;
  /** Which classifier produced the signals. */
  model?: string;
}

export interface TriageOutcome extends TriageResult {
  needsResponse: Scored<boolean>;
  /** Raw model scores by name (0..1), rounded to 3 decimals. */
  scores: Record<string, number>;
  /** True when the text was cut to the classifiers' reading limit. */
  truncated: boolean;
}

/** A labelled example from any source (datasets, agents' corrections). */
export interface LabelledExample {
  text: string;
  labels: {
    category?: TriageCategory;
    action?: 'respond' | 'monitor' | 'ignore';
    complaint?: boolean;
    sentiment?: Sentiment;
    /** A care intent (see intents.ts) or a fine intent the base model knows. */
    intent?: string;
  };
  /** Optional context, used for the needs-response/action features. */
  input?: Partial<Omit<TriageInput, 'text'>>;
  /** Sample weight (default 1). */
  weight?: number;
}

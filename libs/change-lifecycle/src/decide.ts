import { decideGate, type GateDecision, type GateQuestion } from './gate';
import type { ChangeState } from './state';
import { storyVerdicts, type StoryVerdicts } from './verdicts';

/** The story's question: how is this change judged, from everything recorded so far? */
export interface StoryQuestion {
  kind: 'story';
}

/**
 * The one decider of a change: the gate's answer (`kind: 'gate'`), where a change stands (`'status'`), or
 * the change story's verdicts (`'story'`), all from the same folded state with the same rules.
 */
export function decide(state: ChangeState, question: GateQuestion): GateDecision;
export function decide(state: ChangeState, question: StoryQuestion): StoryVerdicts;
export function decide(state: ChangeState, question: GateQuestion | StoryQuestion): GateDecision | StoryVerdicts {
  return question.kind === 'story' ? storyVerdicts(state) : decideGate(state, question);
}
